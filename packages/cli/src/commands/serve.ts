import cluster from "node:cluster";
import { createCaServer, openCertificateAuthority, parseListen, PASSWORD_ENV, readKeyPassword, type CaServerOptions } from "@qoltanba/ca";
import { EXIT, required, UsageError, type Command } from "../command.ts";
import { MAX_WORKERS, serveWorkers, type WorkerReady } from "./serveWorkers.ts";

export const DEFAULT_LISTEN = "127.0.0.1:8080";

/**
 * Serves a CA folder until SIGINT/SIGTERM; resolves once the server has closed. With the key
 * password (env or file) this node also signs CRLs, OCSP responses and timestamps; without it,
 * it only publishes.
 */
export async function serveCa(
  dir: string,
  listen: string,
  passwordFile: string | undefined,
  onReady?: (address: string) => void,
  serverOptions: CaServerOptions = {},
): Promise<void> {
  const { host, port } = parseListen(listen);
  const unlocked = passwordFile !== undefined || Boolean(process.env[PASSWORD_ENV]);
  const ca = await openCertificateAuthority(dir, unlocked ? { password: await readKeyPassword(passwordFile) } : {});
  const server = await createCaServer(ca, { logger: true, ...serverOptions });
  const address = await server.app.listen({ host, port });
  if (!unlocked) process.stderr.write(`no key password (${PASSWORD_ENV} or --password-file): publishing only, no signing services\n`);
  onReady?.(address);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
    process.once("disconnect", () => resolve()); // a `serve --workers` primary went away
  });
  await server.close();
  await ca.close();
}

function workerCount(value: string | undefined): number {
  if (value === undefined) return 1;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS) throw new UsageError(`--workers must be 1 to ${MAX_WORKERS}, got ${value}`);
  return count;
}

export const serve: Command = {
  name: "serve",
  summary: "Serve the CA over HTTP: CA certificates (AIA), CRLs and delta CRLs, and with the key password the signing services.",
  usage: `qoltanba serve --dir DIR [--listen HOST:PORT] [--password-file FILE] [--workers N]   (default ${DEFAULT_LISTEN})

  The key password comes from --password-file or ${PASSWORD_ENV}; without it nothing is signed.
  --workers N    N processes share the port (one per core serves the most OCSP requests); default 1`,
  options: { dir: { type: "string" }, listen: { type: "string" }, "password-file": { type: "string" }, workers: { type: "string" } },
  async run(values) {
    const dir = required(values, "dir");
    const listen = (values.listen as string | undefined) ?? DEFAULT_LISTEN;
    const passwordFile = values["password-file"] as string | undefined;
    const workers = workerCount(values.workers as string | undefined);
    const announce = (address: string) => process.stderr.write(`serving on ${address}\n`);
    if (workers === 1) await serveCa(dir, listen, passwordFile, announce);
    else if (cluster.isPrimary) await serveWorkers(dir, listen, passwordFile, workers, announce);
    else {
      await serveCa(dir, listen, passwordFile, (address) => process.send?.({ ready: address } satisfies WorkerReady), { publishCrls: false });
      if (process.connected) process.disconnect(); // the channel to the primary would keep this worker alive
    }
    return EXIT.ok;
  },
};
