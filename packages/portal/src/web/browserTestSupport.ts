// Test-only: what the portal's browser tests share — the agent's TLS trusted by a Chromium profile
// of its own (no certificate errors ignored), Chromium, and screenshots.
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { chromium, type Browser as Chromium, type Page } from "playwright-core";
import { discoverTrustStores, ensureAgentTls, installTrust, trustedCertificate } from "@qoltanba/agent";

type AgentTls = Awaited<ReturnType<typeof ensureAgentTls>>;

export const ARTIFACTS = resolve(import.meta.dirname, "../../../../test-artifacts");

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/**
 * The agent's TLS material in `browserHome`, trusted there through the agent's own trust install
 * (the NSS database Chromium reads), and Chromium started with that HOME.
 */
export async function chromiumTrustingAgent(
  browserHome: string,
): Promise<{ tls: AgentTls; agentHome: string; browser: Chromium }> {
  const agentHome = join(browserHome, ".qoltanba-agent");
  const tls = await ensureAgentTls(agentHome);
  await installTrust({
    home: agentHome,
    stores: await discoverTrustStores({ platform: "linux", homeDirectory: browserHome, env: {} }),
    certificates: [trustedCertificate(tls.caCertificate, "local CA")],
  });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    env: { ...process.env, HOME: browserHome },
  });
  return { tls, agentHome, browser };
}

/** Saves full-page screenshots as test-artifacts/FOLDER/PREFIX-NAME.png. */
export function screenshots(folder: string, prefix: string): (page: Page, name: string) => Promise<Buffer> {
  const dir = join(ARTIFACTS, folder);
  mkdirSync(dir, { recursive: true });
  return (page, name) => page.screenshot({ path: join(dir, `${prefix}-${name}.png`), fullPage: true });
}
