import { createCaServer, HSM_PIN_ENV, openCertificateAuthority, parseListen, PASSWORD_ENV, readUnlockOptions } from "@qoltanba/ca";
import { openPortalForCa } from "@qoltanba/portal";
import { EXIT, required, type Command } from "../command.ts";

export const DEFAULT_LISTEN = "127.0.0.1:8080";

/**
 * Serves a CA folder until SIGINT/SIGTERM; resolves once the server has closed. With the key
 * password (env or file) this node also signs CRLs, OCSP responses and timestamps; without it,
 * it only publishes.
 */
export async function serveCa(dir: string, listen: string, passwordFile: string | undefined, onReady?: (address: string) => void, pinFile?: string): Promise<void> {
  const { host, port } = parseListen(listen);
  const unlock = await readUnlockOptions(dir, { passwordFile, pinFile }, false);
  const unlocked = unlock !== undefined;
  const ca = await openCertificateAuthority(dir, unlock ?? {});
  const server = await createCaServer(ca, { logger: true });
  const portal = await openPortalForCa(ca, process.env, (line) => server.app.log.warn(line));
  await server.app.register(portal.plugin);
  portal.start();
  const address = await server.app.listen({ host, port });
  if (!unlocked) process.stderr.write(`no key password (${PASSWORD_ENV} or --password-file) or HSM PIN (${HSM_PIN_ENV} or --pin-file): publishing only, no signing services\n`);
  onReady?.(address);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await server.close();
  await portal.close();
  await ca.close();
}

export const serve: Command = {
  usage: `qoltanba serve --dir DIR [--listen HOST:PORT] [--password-file FILE | --pin-file FILE]   (default ${DEFAULT_LISTEN})

  The key password comes from --password-file or ${PASSWORD_ENV}; for a CA on an HSM, the PIN from
  --pin-file or ${HSM_PIN_ENV}. Without it nothing is signed.`,
  options: { dir: { type: "string" }, listen: { type: "string" }, "password-file": { type: "string" }, "pin-file": { type: "string" } },
  async run(values) {
    await serveCa(
      required(values, "dir"),
      (values.listen as string | undefined) ?? DEFAULT_LISTEN,
      values["password-file"] as string | undefined,
      (address) => process.stderr.write(`serving on ${address}\n`),
      values["pin-file"] as string | undefined,
    );
    return EXIT.ok;
  },
};
