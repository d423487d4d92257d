import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { parseCrl } from "@qoltanba/pki";
import type { CertificateAuthority } from "../authority.ts";
import { crlFilePath, type CrlKind } from "../crl/crlPublisher.ts";

const pathOf = (url: string) => new URL(url).pathname;

interface PublishedCrl {
  readonly mtimeMs: number;
  readonly size: number;
  readonly etag: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/**
 * Serves the current CRLs at the CDP and freshestCRL URLs: DER `application/pkix-crl` (RFC 2585),
 * ETag and Last-Modified from the CRL itself, cacheable until its nextUpdate. The file is streamed;
 * its header is re-read only when the file changes.
 */
export async function crlRoutes(app: FastifyInstance, options: { ca: CertificateAuthority }): Promise<void> {
  const { ca } = options;
  const published = new Map<CrlKind, PublishedCrl>();
  const describe = async (kind: CrlKind): Promise<PublishedCrl | undefined> => {
    const file = crlFilePath(ca.dir, kind);
    const info = await stat(file).catch(() => undefined);
    if (!info) return undefined;
    const known = published.get(kind);
    if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) return known;
    const crl = parseCrl(await readFile(file));
    const described = {
      mtimeMs: info.mtimeMs,
      size: info.size,
      etag: `"${kind}-${crl.crlNumber}"`,
      thisUpdate: crl.thisUpdate,
      nextUpdate: crl.nextUpdate,
    };
    published.set(kind, described);
    return described;
  };
  const routes: Array<[string, CrlKind]> = [
    [pathOf(ca.urls.crl), "full"],
    [pathOf(ca.urls.deltaCrl), "delta"],
    [pathOf(ca.urls.rootCrl), "root"],
  ];
  for (const [path, kind] of routes) {
    app.get(path, async (request, reply) => {
      const crl = await describe(kind);
      if (!crl) return reply.code(404).type("text/plain").send(`no ${kind} CRL has been published yet\n`);
      const maxAge = Math.max(0, Math.floor((crl.nextUpdate.getTime() - Date.now()) / 1000));
      reply
        .header("etag", crl.etag)
        .header("last-modified", crl.thisUpdate.toUTCString())
        .header("expires", crl.nextUpdate.toUTCString())
        .header("cache-control", `public, max-age=${maxAge}, no-transform`);
      const since = Date.parse(request.headers["if-modified-since"] ?? "");
      if (request.headers["if-none-match"] === crl.etag || since >= crl.thisUpdate.getTime()) return reply.code(304).send();
      return reply
        .type("application/pkix-crl")
        .header("content-length", crl.size)
        .send(createReadStream(crlFilePath(ca.dir, kind)));
    });
  }
}
