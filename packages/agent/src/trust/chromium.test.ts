import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { WebSocketServer } from "ws";
import { ensureAgentTls } from "../tls/agentTls.ts";
import { trustedCertificate } from "./certificates.ts";
import { discoverTrustStores } from "./stores.ts";
import { installTrust } from "./trust.ts";
import { temporaryFolder } from "./testSupport.ts";
import { CHROMIUM } from "../../../pki/src/test-support/localhost.ts";

const ARTIFACTS = resolve(import.meta.dirname, "../../../../test-artifacts");
function listen(server: Server): Promise<number> {
  return new Promise((done) =>
    server.listen(0, "127.0.0.1", () => done((server.address() as AddressInfo).port)),
  );
}

/** A stand-in for the agent: the first thing it sends is NCALayer's version greeting. */
async function startWssServer(tls: { key: string; certificate: string }) {
  const server = createHttpsServer({ key: tls.key, cert: tls.certificate });
  const sockets = new WebSocketServer({ server });
  sockets.on("connection", (socket) => socket.send(JSON.stringify({ result: { version: "1.4" } })));
  const port = await listen(server);
  return {
    port,
    close: () =>
      new Promise<void>((done) => {
        sockets.close();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The page a website would serve: it opens the agent's wss:// address and shows what came back. */
async function startPageServer(wssPort: number) {
  const page = `<!doctype html><meta charset="utf-8"><title>connecting</title><body><pre id="log">connecting to wss://127.0.0.1:${wssPort}/</pre>
<script>
const log = (text) => { document.getElementById("log").textContent += "\\n" + text; };
const socket = new WebSocket("wss://127.0.0.1:${wssPort}/");
socket.onmessage = (event) => { log("received " + event.data); document.title = "received " + event.data; };
socket.onerror = () => { log("connection failed"); document.title = "failed"; };
</script>`;
  const server = createHttpServer((_, response) =>
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page),
  );
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

async function openInChromium(homeDirectory: string, url: string, screenshot: string): Promise<string> {
  const browser = await chromium.launch({
    ...CHROMIUM,
    env: { ...process.env, HOME: homeDirectory },
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction('document.title !== "connecting"', undefined, { timeout: 15_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, screenshot) });
    return await page.title();
  } finally {
    await browser.close();
  }
}

test("real Chromium opens wss://127.0.0.1 after the agent's trust install, and refuses it without", async () => {
  const trustedHome = temporaryFolder("qoltanba-chromium-trusted-");
  const agentHome = join(trustedHome, ".qoltanba-agent");
  const tls = await ensureAgentTls(agentHome);
  const changes = await installTrust({
    home: agentHome,
    stores: await discoverTrustStores({ platform: "linux", homeDirectory: trustedHome, env: {} }),
    certificates: [trustedCertificate(tls.caCertificate, "local CA")],
  });
  assert.deepEqual(
    changes.map((change) => change.outcome),
    ["added"],
    changes[0]?.detail,
  );

  const wss = await startWssServer(tls);
  const page = await startPageServer(wss.port);
  try {
    assert.equal(
      await openInChromium(trustedHome, page.url, "chromium-wss-trusted.png"),
      'received {"result":{"version":"1.4"}}',
    );
    const untrustedHome = temporaryFolder("qoltanba-chromium-untrusted-");
    assert.equal(await openInChromium(untrustedHome, page.url, "chromium-wss-untrusted.png"), "failed");
  } finally {
    await page.close();
    await wss.close();
  }
});
