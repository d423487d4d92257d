import type { FastifyInstance } from "fastify";
import type { CertificateAuthority } from "../authority.ts";
import type { CaKeyName } from "../signer/signer.ts";
import { createHash } from "node:crypto";

const pathOf = (url: string) => new URL(url).pathname;

/** AIA publication: the CA certificates as DER `application/pkix-cert` (RFC 2585), at the URLs the certificates name. */
export async function publicationRoutes(app: FastifyInstance, options: { ca: CertificateAuthority }): Promise<void> {
  const { ca } = options;
  const published: Array<[string, CaKeyName]> = [
    [pathOf(ca.urls.rootCertificate), "root"],
    [pathOf(ca.urls.issuingCertificate), "issuing"],
    [pathOf(ca.urls.issuingCertificate).replace(/issuing\.cer$/, "ocsp.cer"), "ocsp"],
    [pathOf(ca.urls.issuingCertificate).replace(/issuing\.cer$/, "tsa.cer"), "tsa"],
  ];
  for (const [path, name] of published) {
    const der = ca.certificates[name];
    const etag = `"${createHash("sha256").update(der).digest("base64url").slice(0, 27)}"`;
    app.get(path, async (request, reply) => {
      reply.header("cache-control", "public, max-age=86400").header("etag", etag);
      if (request.headers["if-none-match"] === etag) return reply.code(304).send();
      return reply.type("application/pkix-cert").send(der);
    });
  }
}
