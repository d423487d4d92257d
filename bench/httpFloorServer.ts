// The floor under the portal's status benchmark: node:http alone, in a node:cluster of N workers as
// `serve --workers N` runs, answering each status form with a page of the same size that names the
// asked number (as the wrk script checks) — no Fastify, no database, no rendering. What wrk and
// these two cores give any Node server; the portal's figures are read against it.
// Run: node --import tsx bench/httpFloorServer.ts PORT WORKERS   (writes "serving on" when ready)
import cluster from "node:cluster";
import { createServer } from "node:http";

const [port, workers] = process.argv.slice(2).map(Number) as [number, number];
const PAGE_PADDING = "x".repeat(2_400); // the status page of a waiting application is some 2.6 KB

if (cluster.isPrimary) {
  let listening = 0;
  cluster.on("listening", () => ++listening === workers && process.stderr.write(`serving on http://127.0.0.1:${port}\n`));
  for (let k = 0; k < workers; k++) cluster.fork();
  process.on("SIGTERM", () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
} else {
  createServer({ keepAliveTimeout: 72_000 }, (request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const number = /(?:^|&)number=(\d+)/.exec(body)?.[1] ?? "";
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      response.end(Buffer.from(`<p data-status="submitted"><input name="number" value="${number}">${PAGE_PADDING}</p>`));
    });
  }).listen(port, "127.0.0.1");
}
