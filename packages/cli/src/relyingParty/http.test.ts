// The relying party's HTTP client against a local server that misbehaves on purpose.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { httpGet, ocspPost } from "./http.ts";

let server: Server;
let base: string;
const limits = { timeoutMilliseconds: 5000, maxBytes: 1000 };

before(async () => {
  server = createServer((request, response) => {
    if (request.url === "/small") return response.end(Buffer.alloc(10, 1));
    if (request.url === "/declared-big") {
      response.setHeader("content-length", "5000");
      return response.end(Buffer.alloc(5000));
    }
    if (request.url === "/streamed-big") {
      // no content-length: the limit must hold while reading
      for (let chunk = 0; chunk < 10; chunk++) response.write(Buffer.alloc(400));
      return response.end();
    }
    if (request.url === "/slow") return void setTimeout(() => response.end("late"), 30_000).unref();
    if (request.url === "/ocsp" && request.method === "POST") {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        response.setHeader("content-type", "application/ocsp-response");
        response.end(Buffer.concat([Buffer.from(request.headers["content-type"] ?? ""), Buffer.from(" "), ...chunks]));
      });
      return;
    }
    response.statusCode = 404;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test("a small answer is read whole; an OCSP request is POSTed with its content type", async () => {
  assert.deepEqual(await httpGet(`${base}/small`, limits), Buffer.alloc(10, 1));
  assert.equal((await ocspPost(`${base}/ocsp`, Buffer.from("request"), limits)).toString(), "application/ocsp-request request");
});

test("too large, too slow, not found and not http are refused with a message", async () => {
  await assert.rejects(httpGet(`${base}/declared-big`, limits), /sends 5000 bytes, more than the 1000 allowed/);
  await assert.rejects(httpGet(`${base}/streamed-big`, limits), /sends more than the 1000 bytes allowed/);
  await assert.rejects(httpGet(`${base}/slow`, limits), /did not answer within 5 s/);
  await assert.rejects(httpGet(`${base}/missing`, limits), /HTTP 404 from/);
  await assert.rejects(httpGet("ldap://ldap.example/cn=crl", limits), /only http and https URLs are fetched/);
  await assert.rejects(httpGet("file:///etc/passwd", limits), /only http and https URLs are fetched/);
  await assert.rejects(httpGet("not a url", limits), /is not a URL/);
});
