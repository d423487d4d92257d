import { createServer } from "node:http";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerFactory } from "fastify";
import { InputError } from "@qoltanba/pki";
import type { CertificateAuthority } from "../authority.ts";
import { CrlPublisher, DEFAULT_CRL_SCHEDULE, type CrlSchedule } from "../crl/crlPublisher.ts";
import { OcspResponder, type OcspResponderOptions } from "../ocsp/ocspResponder.ts";
import { RevocationWatcher } from "../revocationWatcher.ts";
import { TimeStampAuthority, type TimeStampAuthorityOptions } from "../tsa/timeStampAuthority.ts";
import { crlRoutes } from "./crlRoutes.ts";
import { ocspRequestListener } from "./ocspRoutes.ts";
import { publicationRoutes } from "./publication.ts";
import { trustedProxyCheck } from "./trustedProxies.ts";
import { tsaRoutes } from "./tsaRoutes.ts";

export interface CaServerOptions {
  readonly logger?: boolean;
  readonly crlSchedule?: CrlSchedule;
  /** How often to look for revocations made elsewhere (CLI, console, other nodes). */
  readonly revocationPollMilliseconds?: number;
  /** False in the workers of `serve --workers`: their primary process makes the CRLs, once. */
  readonly publishCrls?: boolean;
  readonly ocsp?: OcspResponderOptions;
  readonly tsa?: TimeStampAuthorityOptions;
  /**
   * The load balancers or reverse proxies (addresses or CIDRs) whose X-Forwarded-For names the
   * client: per-client limits and logs then see the person, not the proxy.
   */
  readonly trustedProxies?: readonly string[];
}

/**
 * One access-log line per request, the request and its outcome together, instead of Fastify's two
 * (one on arrival, one on completion): at thousands of portal requests a second, each line costs.
 */
class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, "request completed");
  }
}

/** A running set of CA services behind one HTTP server. */
export interface CaServer {
  readonly app: FastifyInstance;
  /** Present when this node holds the issuing key: it signs CRLs. */
  readonly crlPublisher?: CrlPublisher;
  /** Present when this node holds the OCSP key: it answers OCSP. */
  readonly ocspResponder?: OcspResponder;
  /** Present when this node holds the TSA key: it issues time-stamps. */
  readonly tsa?: TimeStampAuthority;
  readonly revocationWatcher: RevocationWatcher;
  close(): Promise<void>;
}

/**
 * `qoltanba serve`: one HTTP server; each service registers as its own plugin at the path its
 * publication URL names. Without the key password it only publishes (certificates, CRL files).
 */
export async function createCaServer(ca: CertificateAuthority, options: CaServerOptions = {}): Promise<CaServer> {
  const ocspResponder = ca.signer && ca.signingKeys.includes("ocsp")
    ? new OcspResponder(
        { issuerCertificate: ca.certificates.issuing, responderCertificate: ca.certificates.ocsp, signingKey: ca.signer.key("ocsp"), states: ca.store },
        options.ocsp,
      )
    : undefined;
  const ocsp = ocspResponder && ocspRequestListener(ocspResponder, { path: new URL(ca.urls.ocsp).pathname });
  // OCSP is answered before Fastify sees the request: see ocspRoutes.ts.
  // Idle keep-alive connections stay open longer than a load balancer's idle timeout (60 s is
  // usual), so the balancer never sends a request on a connection this server is closing.
  const serverFactory: FastifyServerFactory = (handler) =>
    createServer({ keepAliveTimeout: 72_000 }, (request, response) => ocsp?.(request, response) || handler(request, response));
  const app = Fastify({
    logger: options.logger ? { level: "info", redact: ["req.headers.authorization", "req.headers.cookie"] } : false,
    logController: new AccessLog(),
    bodyLimit: 64 * 1024,
    serverFactory,
    ...(options.trustedProxies?.length ? { trustProxy: trustedProxyCheck(options.trustedProxies) } : {}),
  });
  const revocationWatcher = new RevocationWatcher(ca.store, options.revocationPollMilliseconds);
  if (ocspResponder) revocationWatcher.onChange((serials) => ocspResponder.revocationsChanged(serials));
  const crlPublisher = options.publishCrls === false ? undefined : await startCrlPublisher(ca, revocationWatcher, options.crlSchedule);
  await revocationWatcher.start();
  await app.register(publicationRoutes, { ca });
  await app.register(crlRoutes, { ca });
  const tsa = ca.signingKeys.includes("tsa") ? new TimeStampAuthority(ca, options.tsa) : undefined;
  if (tsa) await app.register(tsaRoutes, { tsa, path: new URL(ca.urls.tsa).pathname });
  return {
    app,
    ...(crlPublisher ? { crlPublisher } : {}),
    ...(ocspResponder ? { ocspResponder } : {}),
    ...(tsa ? { tsa } : {}),
    revocationWatcher,
    async close() {
      await app.close();
      await revocationWatcher.stop();
      await ocspResponder?.stop();
      await crlPublisher?.stop();
      await tsa?.stop();
    },
  };
}

/** The CRL publisher, told of revocations by the watcher; none on a node without the issuing key. */
async function startCrlPublisher(ca: CertificateAuthority, watcher: RevocationWatcher, schedule = DEFAULT_CRL_SCHEDULE): Promise<CrlPublisher | undefined> {
  if (!ca.signingKeys.includes("issuing")) return undefined;
  const crlPublisher = new CrlPublisher(ca, schedule);
  watcher.onChange(() => crlPublisher.revocationChanged());
  await crlPublisher.start();
  return crlPublisher;
}

/** CRL publication without an HTTP server: the primary process of `serve --workers` runs it once for all. */
export async function startCrlService(
  ca: CertificateAuthority,
  options: Pick<CaServerOptions, "crlSchedule" | "revocationPollMilliseconds"> = {},
): Promise<{ readonly crlPublisher?: CrlPublisher; close(): Promise<void> }> {
  const revocationWatcher = new RevocationWatcher(ca.store, options.revocationPollMilliseconds);
  const crlPublisher = await startCrlPublisher(ca, revocationWatcher, options.crlSchedule);
  await revocationWatcher.start();
  return {
    ...(crlPublisher ? { crlPublisher } : {}),
    async close() {
      await revocationWatcher.stop();
      await crlPublisher?.stop();
    },
  };
}

export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new InputError("bad_listen", `--listen must be HOST:PORT, got ${listen}`);
  return { host: match[1] ?? match[2]!, port };
}
