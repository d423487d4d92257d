import { createCaServer, openCertificateAuthority, parseListen } from "@qoltanba/ca";
import { EXIT, required, type Command } from "../command.ts";

export const DEFAULT_LISTEN = "127.0.0.1:8080";

/** Serves a CA folder until SIGINT/SIGTERM; resolves once the server has closed. */
export async function serveCa(dir: string, listen: string, onReady?: (address: string) => void): Promise<void> {
  const { host, port } = parseListen(listen);
  const ca = await openCertificateAuthority(dir);
  const app = await createCaServer(ca, { logger: true });
  const address = await app.listen({ host, port });
  onReady?.(address);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await app.close();
  await ca.close();
}

export const serve: Command = {
  name: "serve",
  summary: "Serve the CA's publication points (CA certificates at the AIA URLs) over HTTP.",
  usage: `qoltanba serve --dir DIR [--listen HOST:PORT]   (default ${DEFAULT_LISTEN})`,
  options: { dir: { type: "string" }, listen: { type: "string" } },
  async run(values) {
    await serveCa(required(values, "dir"), (values.listen as string | undefined) ?? DEFAULT_LISTEN, (address) =>
      process.stderr.write(`serving on ${address}\n`),
    );
    return EXIT.ok;
  },
};
