// ncalayer-js-client in a real page in headless Chromium, which trusts the agent only through the
// agent's own trust install (no certificate errors ignored), signs through the agent.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { fromPemOrDer, verifySignedData } from "@qoltanba/pki";
import { startAgent } from "./agent.ts";
import type { AgentServer } from "./server/agentServer.ts";
import { parseUnattendedSettings } from "./settings/unattended.ts";
import { ensureAgentTls } from "./tls/agentTls.ts";
import { trustedCertificate } from "./trust/certificates.ts";
import { discoverTrustStores } from "./trust/stores.ts";
import { installTrust } from "./trust/trust.ts";
import { AUTH_EXTENSIONS, SIGN_EXTENSIONS, TestPki } from "./testing/testPki.ts";

const PASSWORD = "Browser123";
const CLIENT_SCRIPT = readFileSync(createRequire(import.meta.url).resolve("ncalayer-js-client"), "utf8");

let pki: TestPki;
let agent: AgentServer;
let browserHome: string;
const pages: Server[] = [];

/** A website's page: loads ncalayer-js-client and signs through the agent; the outcome goes to the title. */
async function startPage(agentPort: number): Promise<string> {
  const html = `<!doctype html><meta charset="utf-8"><title>running</title>
<script src="/ncalayer-client.js"></script>
<script>
(async () => {
  try {
    const client = new NCALayerClient("wss://127.0.0.1:${agentPort}", false);
    const version = await client.connect();
    const tokens = await client.getActiveTokens();
    const bytes = new TextEncoder().encode("Браузерде қол қойылды");
    const attached = await client.createCAdESFromBase64("PKCS12", bytes.buffer, "SIGNATURE", true);
    const detached = await client.basicsSignCMS(NCALayerClient.basicsStoragePKCS12, bytes.buffer, NCALayerClient.basicsCMSParamsDetachedNoTSP, NCALayerClient.basicsSignerAuthAny);
    window.outcome = { version, tokens, attached, detached };
    document.title = "signed";
  } catch (error) {
    document.title = "error: " + error.message;
  }
})();
</script>`;
  const server = createServer((request, response) => {
    if (request.url === "/ncalayer-client.js")
      response.writeHead(200, { "content-type": "text/javascript" }).end(CLIENT_SCRIPT);
    else response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
  });
  pages.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function openInChromium(
  url: string,
): Promise<{ title: string; outcome: Record<string, unknown> | undefined }> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
    env: { ...process.env, HOME: browserHome },
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction('document.title !== "running"', undefined, { timeout: 20_000 });
    return {
      title: await page.title(),
      outcome: (await page.evaluate("window.outcome")) as Record<string, unknown> | undefined,
    };
  } finally {
    await browser.close();
  }
}

let pageOrigin: string;
let strangerOrigin: string;

before(async () => {
  pki = new TestPki();
  const auth = pki.issue("auth", "/CN=БРАУЗЕР/serialNumber=IIN880101300014/C=KZ", AUTH_EXTENSIONS, PASSWORD);
  const sign = pki.issue("sign", "/CN=БРАУЗЕР/serialNumber=IIN880101300014/C=KZ", SIGN_EXTENSIONS, PASSWORD);
  browserHome = join(pki.dir, "browser-home");
  const agentHome = join(browserHome, ".qoltanba-agent");
  const tls = await ensureAgentTls(agentHome);
  const changes = await installTrust({
    home: agentHome,
    stores: await discoverTrustStores({ platform: "linux", homeDirectory: browserHome, env: {} }),
    certificates: [trustedCertificate(tls.caCertificate, "local CA")],
  });
  assert.deepEqual(
    changes.map((change) => change.outcome),
    ["added"],
  );
  // The pages need the agent's port and the agent their origins: listen on a port first, then start it there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  pageOrigin = await startPage(port);
  strangerOrigin = await startPage(port);
  agent = await startAgent({
    home: agentHome,
    port,
    tls,
    unattended: parseUnattendedSettings(
      {
        origins: [pageOrigin],
        pkcs12: [auth, sign].map((key) => ({ path: key.p12Path, password: PASSWORD })),
      },
      pki.dir,
    ),
  });
});

after(async () => {
  await agent.close();
  for (const server of pages) await new Promise<void>((resolve) => server.close(() => resolve()));
  pki.dispose();
});

test("a page with ncalayer-js-client in headless Chromium connects over trusted wss:// and signs", async () => {
  const { title, outcome } = await openInChromium(`${pageOrigin}/`);
  assert.equal(title, "signed");
  assert.equal(outcome!.version, "1.4");
  assert.deepEqual(outcome!.tokens, []);
  const data = Buffer.from("Браузерде қол қойылды");
  const attached = Buffer.from(outcome!.attached as string, "base64");
  assert.equal(pki.verifyCms(attached).toString(), data.toString());
  const detached = fromPemOrDer(outcome!.detached as string, ["CMS"], "CMS");
  pki.verifyCms(detached, { content: data });
  assert.equal(verifySignedData(detached, { detachedContent: data }).signers[0]!.valid, true);
});

test("a page from an origin the person did not allow is refused before the greeting", async () => {
  const { title, outcome } = await openInChromium(`${strangerOrigin}/`);
  assert.equal(title, "error: NCALayer закрыл соединение.");
  assert.equal(outcome, undefined);
});
