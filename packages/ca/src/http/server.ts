import Fastify, { type FastifyInstance } from "fastify";
import { InputError } from "@qoltanba/pki";
import type { CertificateAuthority } from "../authority.ts";
import { CrlPublisher, DEFAULT_CRL_SCHEDULE, type CrlSchedule } from "../crl/crlPublisher.ts";
import { RevocationWatcher } from "../revocationWatcher.ts";
import { TimeStampAuthority, type TimeStampAuthorityOptions } from "../tsa/timeStampAuthority.ts";
import { crlRoutes } from "./crlRoutes.ts";
import { publicationRoutes } from "./publication.ts";
import { tsaRoutes } from "./tsaRoutes.ts";

export interface CaServerOptions {
  readonly logger?: boolean;
  readonly crlSchedule?: CrlSchedule;
  /** How often to look for revocations made elsewhere (CLI, console, other nodes). */
  readonly revocationPollMilliseconds?: number;
  readonly tsa?: TimeStampAuthorityOptions;
}

/** A running set of CA services behind one HTTP server. */
export interface CaServer {
  readonly app: FastifyInstance;
  /** Present when the CA keys are unlocked: this node signs CRLs. */
  readonly crlPublisher?: CrlPublisher;
  /** Present when the CA keys are unlocked: this node issues time-stamps. */
  readonly tsa?: TimeStampAuthority;
  readonly revocationWatcher: RevocationWatcher;
  close(): Promise<void>;
}

/**
 * `qoltanba serve`: one HTTP server; each service registers as its own plugin at the path its
 * publication URL names. Without the key password it only publishes (certificates, CRL files).
 */
export async function createCaServer(ca: CertificateAuthority, options: CaServerOptions = {}): Promise<CaServer> {
  const app = Fastify({
    logger: options.logger ? { level: "info", redact: ["req.headers.authorization", "req.headers.cookie"] } : false,
    bodyLimit: 64 * 1024,
  });
  const revocationWatcher = new RevocationWatcher(ca.store, options.revocationPollMilliseconds);
  const crlPublisher = ca.signer ? new CrlPublisher(ca, options.crlSchedule ?? DEFAULT_CRL_SCHEDULE) : undefined;
  if (crlPublisher) {
    revocationWatcher.onChange(() => crlPublisher.revocationChanged());
    await crlPublisher.start();
  }
  await revocationWatcher.start();
  await app.register(publicationRoutes, { ca });
  await app.register(crlRoutes, { ca });
  const tsa = ca.signer ? new TimeStampAuthority(ca, options.tsa) : undefined;
  if (tsa) await app.register(tsaRoutes, { tsa, path: new URL(ca.urls.tsa).pathname });
  return {
    app,
    ...(crlPublisher ? { crlPublisher } : {}),
    ...(tsa ? { tsa } : {}),
    revocationWatcher,
    async close() {
      await app.close();
      await revocationWatcher.stop();
      await crlPublisher?.stop();
      await tsa?.stop();
    },
  };
}

export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new InputError("bad_listen", `--listen must be HOST:PORT, got ${listen}`);
  return { host: match[1] ?? match[2]!, port };
}
