import type { FastifyInstance } from "fastify";
import type { CertificateAuthority } from "../authority.ts";
import type { CrlKind } from "../crl/crlPublisher.ts";
import { PublishedCrls } from "../crl/publishedCrls.ts";

const pathOf = (url: string) => new URL(url).pathname;

/**
 * Serves the current CRLs at the CDP and freshestCRL URLs: DER `application/pkix-crl` (RFC 2585),
 * ETag and Last-Modified from the CRL itself, cacheable until its nextUpdate. Every node serves the
 * newest CRL in the database, whichever node signed it (see PublishedCrls); the file is streamed.
 */
export async function crlRoutes(app: FastifyInstance, options: { ca: CertificateAuthority }): Promise<void> {
  const published = new PublishedCrls(options.ca);
  const { urls } = options.ca;
  const routes: Array<[string, CrlKind]> = [
    [pathOf(urls.crl), "full"],
    [pathOf(urls.deltaCrl), "delta"],
    [pathOf(urls.rootCrl), "root"],
  ];
  for (const [path, kind] of routes) {
    app.get(path, async (request, reply) => {
      const crl = await published.current(kind);
      if (!crl) return reply.code(404).type("text/plain").send(`no ${kind} CRL has been published yet\n`);
      const etag = `"${kind}-${crl.number}"`;
      const maxAge = Math.max(0, Math.floor((crl.nextUpdate.getTime() - Date.now()) / 1000));
      reply
        .header("etag", etag)
        .header("last-modified", crl.thisUpdate.toUTCString())
        .header("expires", crl.nextUpdate.toUTCString())
        .header("cache-control", `public, max-age=${maxAge}, no-transform`);
      const since = Date.parse(request.headers["if-modified-since"] ?? "");
      if (request.headers["if-none-match"] === etag || since >= crl.thisUpdate.getTime()) {
        await crl.file.close();
        return reply.code(304).send();
      }
      return reply
        .type("application/pkix-crl")
        .header("content-length", crl.size)
        .send(crl.file.createReadStream({ start: 0 }));
    });
  }
}
