import { createCaServer, openCertificateAuthority, parseListen, PASSWORD_ENV, readKeyPassword } from "@qoltanba/ca";
import { openPortalForCa } from "@qoltanba/portal";
import { EXIT, required, type Command } from "../command.ts";

export const DEFAULT_LISTEN = "127.0.0.1:8080";

/**
 * Serves a CA folder until SIGINT/SIGTERM; resolves once the server has closed. With the key
 * password (env or file) this node also signs CRLs, OCSP responses and timestamps; without it,
 * it only publishes.
 */
export async function serveCa(dir: string, listen: string, passwordFile: string | undefined, onReady?: (address: string) => void): Promise<void> {
  const { host, port } = parseListen(listen);
  const unlocked = passwordFile !== undefined || Boolean(process.env[PASSWORD_ENV]);
  const ca = await openCertificateAuthority(dir, unlocked ? { password: await readKeyPassword(passwordFile) } : {});
  const server = await createCaServer(ca, { logger: true });
  const portal = await openPortalForCa(ca, process.env, (line) => server.app.log.warn(line));
  await server.app.register(portal.plugin);
  portal.start();
  const address = await server.app.listen({ host, port });
  if (!unlocked) process.stderr.write(`no key password (${PASSWORD_ENV} or --password-file): publishing only, no signing services\n`);
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
  usage: `qoltanba serve --dir DIR [--listen HOST:PORT] [--password-file FILE]   (default ${DEFAULT_LISTEN})

  The key password comes from --password-file or ${PASSWORD_ENV}; without it nothing is signed.`,
  options: { dir: { type: "string" }, listen: { type: "string" }, "password-file": { type: "string" } },
  async run(values) {
    await serveCa(
      required(values, "dir"),
      (values.listen as string | undefined) ?? DEFAULT_LISTEN,
      values["password-file"] as string | undefined,
      (address) => process.stderr.write(`serving on ${address}\n`),
    );
    return EXIT.ok;
  },
};
