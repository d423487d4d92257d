import type { FastifyInstance, FastifyReply } from "fastify";
import { timeStampFailure } from "@qoltanba/pki";
import type { TimeStampAuthority } from "../tsa/timeStampAuthority.ts";

export const DEFAULT_MAX_TIMESTAMP_QUERY_BYTES = 10 * 1024;

/** RFC 3161's type, and the pre-RFC draft's that some clients (Apache POI, Portuguese eID middleware) still send. */
const QUERY_TYPES = ["application/timestamp-query", "application/timestamp-request"];
const REPLY_TYPE = "application/timestamp-reply";

const unsupportedType = (reply: FastifyReply) =>
  reply.code(415).type("text/plain").send(`send the DER time-stamp request as ${QUERY_TYPES[0]}\n`);

export interface TsaRouteOptions {
  readonly tsa: TimeStampAuthority;
  /** The path of the TSA URL, e.g. `/tsp`. */
  readonly path: string;
  readonly maxRequestBytes?: number;
}

/**
 * RFC 3161 section 3.4: POST a DER TimeStampReq as application/timestamp-query to the TSA URL. A TSP
 * request always gets a 200 application/timestamp-reply, rejections too (badRequest, badAlg,
 * unacceptedPolicy...): its client reads those. What is not a TSP request gets an HTTP error, as the
 * RFC allows: 415 for another content type, 413 past the size limit (before anything is parsed),
 * 405 for GET. Never a 5xx: a fault of ours is a systemFailure reply.
 */
export async function tsaRoutes(app: FastifyInstance, options: TsaRouteOptions): Promise<void> {
  const { tsa, path } = options;
  // This plugin's scope reads TSP queries and nothing else.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(QUERY_TYPES, { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 415) return unsupportedType(reply);
    if (status >= 400 && status < 500)
      return reply.code(status).type("text/plain").send(`${error.message}\n`);
    request.log.error(error);
    return reply.type(REPLY_TYPE).header("cache-control", "no-store").send(timeStampFailure("systemFailure"));
  });
  app.post(
    path,
    // Every token is recorded in the database; an access-log line per time-stamp would repeat it at a fifth of the CPU.
    { bodyLimit: options.maxRequestBytes ?? DEFAULT_MAX_TIMESTAMP_QUERY_BYTES, logLevel: "warn" },
    async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) return unsupportedType(reply);
      const response = await tsa.respond(request.body);
      return reply.type(REPLY_TYPE).header("cache-control", "no-store").send(response);
    },
  );
  app.get(path, async (_request, reply) =>
    reply
      .code(405)
      .header("allow", "POST")
      .type("text/plain")
      .send(`POST a time-stamp request (${QUERY_TYPES[0]}) to this URL\n`),
  );
}
