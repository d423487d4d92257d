import cluster from "node:cluster";
import { createCaServer, openCertificateAuthority, parseListen, readUnlockOptions, trustedProxyCheck, type CaServerOptions, type SecretFiles } from "@qoltanba/ca";
import { openPortalForCa } from "@qoltanba/portal";
import { startCaApiServer } from "../caApi/caApiServer.ts";
import { EXIT, required, UsageError, type Command } from "../command.ts";
import { SECRET_FILE_OPTIONS, SECRET_FILES_USAGE, secretFiles } from "../secretFlags.ts";
import { MAX_WORKERS, serveWorkers, type WorkerReady } from "./serveWorkers.ts";

export const DEFAULT_LISTEN = "127.0.0.1:8080";

/** The CA API listener of a signer node: where, and the folder of its server credentials. */
export interface CaApiListen {
  readonly listen: string;
  readonly credentials: string;
}

/**
 * Serves a CA folder until SIGINT/SIGTERM; resolves once the server has closed. With the key
 * password (env or file) this node also signs, with the keys its folder holds — with an HSM, those
 * on the tokens it has PINs for: CRLs (issuing key), OCSP responses (OCSP key), time-stamps (TSA
 * key); without any, it only publishes.
 */
export async function serveCa(
  dir: string,
  listen: string,
  secrets: SecretFiles,
  onReady?: (address: string) => void,
  serverOptions: CaServerOptions = {},
  caApi?: CaApiListen,
): Promise<void> {
  const { host, port } = parseListen(listen);
  const unlock = await readUnlockOptions(dir, secrets, false);
  const unlocked = unlock !== undefined;
  const ca = await openCertificateAuthority(dir, unlock ?? {});
  const caApiServer = caApi && (await startCaApiServer(ca, caApi.listen, caApi.credentials, true).catch(async (error: unknown) => {
    await ca.close();
    throw error;
  }));
  const server = await createCaServer(ca, { logger: true, ...serverOptions });
  const portal = await openPortalForCa(ca, process.env, (line) => server.app.log.warn(line));
  await server.app.register(portal.plugin);
  portal.start();
  // A burst of new connections (a load balancer opening many at once) waits rather than being reset.
  const address = await server.app.listen({ host, port, backlog: 4096 });
  if (unlocked) process.stderr.write(`signing on this node with the CA's ${ca.signingKeys.join(", ")} key(s)\n`);
  else process.stderr.write(`no key password or HSM PIN given (see --help): publishing only, no signing services\n`);
  if (caApiServer) process.stderr.write(`CA API (mutual TLS) on ${caApiServer.url}\n`);
  onReady?.(address);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
    process.once("disconnect", () => resolve()); // a `serve --workers` primary went away
  });
  await caApiServer?.close();
  await server.close();
  await portal.close();
  await ca.close();
}

/** `--trusted-proxies` or QOLTANBA_TRUSTED_PROXIES: comma-separated addresses or CIDRs. */
function trustedProxies(value: string | undefined): string[] {
  const list = (value ?? process.env.QOLTANBA_TRUSTED_PROXIES ?? "").split(",").map((entry) => entry.trim()).filter(Boolean);
  try {
    trustedProxyCheck(list);
  } catch (error) {
    throw new UsageError(`--trusted-proxies: ${(error as Error).message}`);
  }
  return list;
}

/** `--ca-api-listen` or QOLTANBA_CA_API_LISTEN, with `--ca-api-credentials` or QOLTANBA_CA_API_CREDENTIALS. */
function caApiListen(values: Record<string, string | boolean | undefined>): CaApiListen | undefined {
  const listen = (values["ca-api-listen"] as string | undefined) ?? process.env.QOLTANBA_CA_API_LISTEN;
  if (!listen) return undefined;
  const credentials = (values["ca-api-credentials"] as string | undefined) ?? process.env.QOLTANBA_CA_API_CREDENTIALS;
  if (!credentials) throw new UsageError("--ca-api-listen needs --ca-api-credentials FOLDER (made by qoltanba ca api-credentials --server)");
  return { listen, credentials };
}

function workerCount(value: string | undefined): number {
  if (value === undefined) return 1;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS) throw new UsageError(`--workers must be 1 to ${MAX_WORKERS}, got ${value}`);
  return count;
}

export const serve: Command = {
  usage: `qoltanba serve --dir DIR [--listen HOST:PORT] [--workers N]   (default ${DEFAULT_LISTEN})
                [--password-file FILE | --token-pin-file TOKEN=FILE... | --pin-file FILE]
                [--ca-api-listen HOST:PORT --ca-api-credentials FOLDER]

  Without a key password or PIN nothing is signed. With key files, the node signs with those its
  folder holds: keys/issuing.key.pem (CRLs, issuance), ocsp.key.pem (OCSP), tsa.key.pem
  (time-stamps); with an HSM, with the keys on the tokens it has PINs for; see docs/deployment.md.
${SECRET_FILES_USAGE}
  --workers N    N processes share the port (one per core serves the most OCSP requests); default 1
  --trusted-proxies LIST  load balancers (addresses or CIDRs, comma-separated; or QOLTANBA_TRUSTED_PROXIES)
                 whose X-Forwarded-For names the client, for per-client limits and logs
  --ca-api-listen HOST:PORT  on a signer node (issuing key and password): the CA API for portal
                 nodes without the issuing key, HTTPS with client certificates (or QOLTANBA_CA_API_LISTEN)
  --ca-api-credentials FOLDER  its server credentials, from qoltanba ca api-credentials --server
                 (or QOLTANBA_CA_API_CREDENTIALS)
  A portal node asks such a signer instead of issuing itself when QOLTANBA_CA_API_URL (https://HOST:PORT)
  and QOLTANBA_CA_API_CREDENTIALS (its folder from qoltanba ca api-credentials --client) are set.`,
  options: {
    dir: { type: "string" },
    listen: { type: "string" },
    ...SECRET_FILE_OPTIONS,
    workers: { type: "string" },
    "trusted-proxies": { type: "string" },
    "ca-api-listen": { type: "string" },
    "ca-api-credentials": { type: "string" },
  },
  async run(values) {
    const dir = required(values, "dir");
    const listen = (values.listen as string | undefined) ?? DEFAULT_LISTEN;
    const secrets = secretFiles(values);
    const workers = workerCount(values.workers as string | undefined);
    const proxies = trustedProxies(values["trusted-proxies"] as string | undefined);
    const caApi = caApiListen(values);
    const announce = (address: string) => process.stderr.write(`serving on ${address}\n`);
    if (workers === 1) await serveCa(dir, listen, secrets, announce, { trustedProxies: proxies }, caApi);
    else if (cluster.isPrimary) await serveWorkers(dir, listen, secrets, workers, announce);
    else {
      const ready = (address: string) => process.send?.({ ready: address } satisfies WorkerReady);
      try {
        await serveCa(dir, listen, secrets, ready, { publishCrls: false, trustedProxies: proxies }, caApi);
      } finally {
        // The channel to the primary would keep this worker alive, also after a failed start; a
        // worker's own disconnect lets it end with its exit code (process.disconnect would exit 0).
        if (process.connected) cluster.worker?.disconnect();
      }
    }
    return EXIT.ok;
  },
};
