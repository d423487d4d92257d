import type { IncomingMessage, ServerResponse } from "node:http";
import { INTERNAL_ERROR, MALFORMED_REQUEST, type OcspAnswer, type OcspResponder } from "../ocsp/ocspResponder.ts";

export const DEFAULT_MAX_OCSP_REQUEST_BYTES = 10 * 1024;

export interface OcspRouteOptions {
  /** The path of the OCSP URL the certificates name, e.g. `/ocsp`. */
  readonly path: string;
  /** Larger bodies are refused (413) before anything is parsed; GET requests are held to the same size. */
  readonly maxRequestBytes?: number;
}

/** Takes a request when it is for the OCSP URL; false leaves it to the other services. */
export type OcspRequestListener = (request: IncomingMessage, response: ServerResponse) => boolean;

const CONTENT_TYPE = "application/ocsp-response";

/**
 * RFC 5019 over plain node:http, in front of the framework (the hot path is a parse and a map
 * lookup, so routing and hooks would be most of its cost): POST `application/ocsp-request` to
 * the path, GET `path/<url-encoded base64 DER>`. Every OCSP outcome, errors included, is a 200
 * with an OCSPResponse; HTTP errors only for what is not an OCSP request at all (413, 405).
 */
export function ocspRequestListener(responder: OcspResponder, options: OcspRouteOptions): OcspRequestListener {
  const { path } = options;
  const maxBytes = options.maxRequestBytes ?? DEFAULT_MAX_OCSP_REQUEST_BYTES;
  const maxGetLength = Math.ceil((maxBytes * 4) / 3) * 3; // base64, each character possibly %-encoded
  const prefix = `${path}/`;

  const send = (request: IncomingMessage, response: ServerResponse, answer: OcspAnswer) => {
    const caching = request.method === "GET" ? answer.caching : undefined;
    if (!caching) {
      response.writeHead(200, ["content-type", CONTENT_TYPE, "content-length", String(answer.byteLength), "cache-control", "no-store"]);
    } else {
      const maxAge = Math.max(0, Math.floor((caching.refreshAt - Date.now()) / 1000));
      const headers = [
        "content-type", CONTENT_TYPE,
        "cache-control", `max-age=${maxAge}, public, no-transform, must-revalidate`,
        "last-modified", caching.lastModified,
        "expires", caching.expires,
        "etag", caching.etag,
      ];
      if (request.headers["if-none-match"] === caching.etag) {
        response.writeHead(304, headers).end();
        return;
      }
      response.writeHead(200, [...headers, "content-length", String(answer.byteLength)]);
    }
    const { body } = answer;
    if (body.length === 1) {
      response.end(body[0]);
      return;
    }
    response.cork();
    for (let index = 0; index < body.length - 1; index++) response.write(body[index]);
    response.end(body[body.length - 1]);
  };

  const answerWith = (request: IncomingMessage, response: ServerResponse, der: Buffer) => {
    const answer = responder.respond(der);
    if (answer instanceof Promise) {
      answer.then(
        (resolved) => send(request, response, resolved),
        () => send(request, response, INTERNAL_ERROR),
      );
    } else {
      send(request, response, answer);
    }
  };

  const refuse = (response: ServerResponse, status: number, message: string, extra: string[] = []) => {
    response.writeHead(status, ["content-type", "text/plain", "connection", "close", ...extra]).end(`${message}\n`);
  };

  const readBody = (request: IncomingMessage, response: ServerResponse) => {
    if (Number(request.headers["content-length"]) > maxBytes) {
      refuse(response, 413, `OCSP requests are limited to ${maxBytes} bytes`);
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBytes) {
        refused = true;
        refuse(response, 413, `OCSP requests are limited to ${maxBytes} bytes`);
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      if (!refused) answerWith(request, response, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    request.on("error", () => response.destroy());
  };

  const fromPath = (encoded: string): Buffer | undefined => {
    if (encoded.length === 0 || encoded.length > maxGetLength) return undefined;
    try {
      return Buffer.from(decodeURIComponent(encoded), "base64");
    } catch {
      return undefined;
    }
  };

  return (request, response) => {
    const url = request.url ?? "";
    const query = url.indexOf("?");
    const target = query === -1 ? url : url.slice(0, query);
    if (target !== path && !target.startsWith(prefix)) return false;
    if (request.method === "POST") {
      readBody(request, response);
    } else if (request.method === "GET") {
      const der = fromPath(target.slice(prefix.length));
      if (der) answerWith(request, response, der);
      else send(request, response, MALFORMED_REQUEST);
    } else {
      refuse(response, 405, "OCSP takes GET and POST", ["allow", "GET, POST"]);
      request.resume();
    }
    return true;
  };
}
