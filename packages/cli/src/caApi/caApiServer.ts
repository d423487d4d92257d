import { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import Fastify, { type FastifyRequest } from "fastify";
import { apiFolder, ApiClientList, parseListen, readApiCredentials, type CertificateAuthority } from "@qoltanba/ca";
import { InputError } from "@qoltanba/pki";
import { CA_API_LIMITS, inProcessCaClient } from "@qoltanba/portal";
import { caApiRoutes, type CaApiCaller } from "./caApiRoutes.ts";

export interface CaApiServer {
  /** https://HOST:PORT */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The CA API of a signer node (`serve --ca-api-listen`): HTTPS that requires a client certificate
 * from the internal CA (TLS 1.2 or 1.3), and whose fingerprint is in the CA folder's allow-list,
 * checked on every request so a removed node is locked out at once.
 */
export async function startCaApiServer(ca: CertificateAuthority, listen: string, credentialsFolder: string, logger: boolean): Promise<CaApiServer> {
  const { host, port } = parseListen(listen);
  if (!ca.signingKeys.includes("issuing"))
    throw new InputError("no_issuing_key", "--ca-api-listen: the CA API issues certificates, and this node cannot sign with the issuing key (its folder has no keys/issuing.key.pem, or no key password was given; with an HSM, no PIN for the issuing key's token)");
  const credentials = await readApiCredentials(credentialsFolder);
  const clients = new ApiClientList(apiFolder(ca.dir).clients);
  const app = Fastify({
    https: { key: credentials.key, cert: credentials.certificate, ca: credentials.trust, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2" },
    // Portal nodes keep connections alive for 30 s: the server keeps them longer, so it never closes one under a request.
    keepAliveTimeout: 72_000,
    bodyLimit: CA_API_LIMITS.requestBytes,
    logger: logger ? { level: "info" } : false,
    // Strict: a field of the wrong type or one too many is refused, never coerced or dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  caApiRoutes(app, {
    ca: inProcessCaClient(ca),
    caller: (request) => callerOf(request, clients),
    audit: (details) => ca.store.appendAudit([{ action: "api-call", details }]),
  });
  const address = await app.listen({ host, port });
  return { url: address.replace(/^http:/, "https:"), close: () => app.close() };
}

function callerOf(request: FastifyRequest, clients: ApiClientList): CaApiCaller | undefined {
  const socket = request.raw.socket as TLSSocket;
  const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
  if (!peer?.raw) return undefined;
  const certificate = new X509Certificate(peer.raw);
  const name = clients.nameOf(certificate.fingerprint256.replace(/:/g, ""));
  return name === undefined ? undefined : { name, subject: certificate.subject.replace(/\n/g, ", ") };
}
