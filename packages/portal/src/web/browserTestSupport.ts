// Test-only: what the portal's browser tests share — the test portal, the agent's TLS trusted by a
// Chromium profile of its own (no certificate errors ignored), Chromium, the unattended agents on
// the port the portal names, the keys on a SoftHSM token, and screenshots.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser as Chromium, type BrowserContext, type Page } from "playwright-core";
import {
  type AgentServer,
  discoverTrustStores,
  ensureAgentTls,
  installTrust,
  parseUnattendedSettings,
  startAgent,
  trustedCertificate,
} from "@qoltanba/agent";
import { toPem } from "@qoltanba/pki";
import { softHsmForEveryStore } from "../../../agent/src/testing/testTokens.ts";
import { pkcs11Tool } from "../../../pki/src/test-support/softhsm.ts";
import { CHROMIUM, freePort } from "../../../pki/src/test-support/localhost.ts";
import { type Inbox, startTestPortal, type TestDatabase, type TestPortal } from "../testSupport.ts";

export const ARTIFACTS = resolve(import.meta.dirname, "../../../../test-artifacts");

/** One computer's agent: its unattended file, and what else that computer has. */
export interface AgentComputer {
  /** The agent's folder of state. */
  home: string;
  /** The unattended file's fields (docs/agent-protocol.md); relative paths are taken from `home`. */
  unattended: Record<string, unknown>;
  /** The CA's time-stamp URL: signatures become CAdES-T. */
  tsaUrl?: string;
  /** Tokens are plugged in: SoftHSM2's library stands in for every vendor's (tokens made with createSoftHsmToken). */
  softHsmTokens?: boolean;
}

export interface PortalInChromium {
  env: TestPortal;
  browser: Chromium;
  /** The agent's URL, which the portal's pages connect to. */
  agentUrl: string;
  /**
   * Starts the unattended agent of `computer` on the agent port, stopping the one there first:
   * people at different computers take the port in turn.
   */
  startAgent(computer: AgentComputer): Promise<AgentServer>;
  /** Stops the agent, Chromium and the portal. */
  close(): Promise<void>;
}

/**
 * A test portal on `database` whose pages talk to the agent port (its mail to `inbox` when given,
 * sent when a test asks: the outbox worker polls hourly), and Chromium with a HOME in `work` whose
 * NSS database trusts the agent's TLS through the agent's own trust install.
 */
export async function portalInChromium(
  database: TestDatabase,
  work: string,
  inbox?: Inbox,
): Promise<PortalInChromium> {
  const browserHome = join(work, "browser-home");
  const trustHome = join(browserHome, ".qoltanba-agent");
  const tls = await ensureAgentTls(trustHome);
  await installTrust({
    home: trustHome,
    stores: await discoverTrustStores({ platform: "linux", homeDirectory: browserHome, env: {} }),
    certificates: [trustedCertificate(tls.caCertificate, "local CA")],
  });
  const port = await freePort();
  const agentUrl = `wss://127.0.0.1:${port}`;
  const env = await startTestPortal(database, {
    agentOrigin: agentUrl,
    mail: {
      ...(inbox ? { smtpUrl: `smtp://127.0.0.1:${inbox.port}` } : {}),
      worker: { pollMilliseconds: 3_600_000 },
    },
  });
  const browser = await chromium.launch({
    ...CHROMIUM,
    env: { ...process.env, HOME: browserHome },
  });
  let running: AgentServer | undefined;
  return {
    env,
    browser,
    agentUrl,
    async startAgent({ home, unattended, tsaUrl, softHsmTokens }) {
      await running?.close();
      running = undefined;
      running = await startAgent({
        home,
        port,
        tls,
        unattended: parseUnattendedSettings(unattended, home),
        ...(tsaUrl ? { tsaUrl } : {}),
        ...(softHsmTokens ? { tokenSettings: softHsmForEveryStore(), tokenRescanMs: 0 } : {}),
      });
      return running;
    },
    async close() {
      await running?.close();
      await browser.close();
      await env.close();
    },
  };
}

/** A private key on a token as pkcs11-tool lists it, and the certificate stored under its ID. */
export interface TokenKey {
  /** pkcs11-tool's "Access:" line: sensitive, never extractable, … */
  access: string;
  /** The certificate read from the token, as a PEM file in the folder asked. */
  certificatePath: string;
}

/**
 * Every private key on the SoftHSM token `label` and the certificate beside it, read from outside
 * the agent with pkcs11-tool (`--list-objects`, `--read-object`); certificates go to `dir`.
 */
export function tokenKeys(label: string, dir: string): TokenKey[] {
  const listed = pkcs11Tool(label, ["--list-objects"]);
  if (listed.status !== 0) throw new Error(`pkcs11-tool --list-objects failed: ${listed.output}`);
  return listed.output
    .split(/\n(?=\S)/)
    .filter((block) => block.startsWith("Private Key Object"))
    .map((key) => {
      const id = /ID:\s+([0-9a-f]+)/.exec(key)![1]!;
      const der = join(dir, `token-${id}.der`);
      const read = pkcs11Tool(label, ["--read-object", "--type", "cert", "--id", id, "-o", der]);
      if (read.status !== 0) throw new Error(`no certificate beside the key ${id}: ${read.output}`);
      const certificatePath = join(dir, `token-${id}.pem`);
      writeFileSync(certificatePath, toPem("CERTIFICATE", readFileSync(der)));
      return { access: /Access:\s+(.*)/.exec(key)?.[1]?.trim() ?? "", certificatePath };
    });
}

/** A desktop-sized page in a new context; `problems` collects the page's uncaught script errors. */
export async function desktopPage(
  browser: Chromium,
  options: { acceptDownloads?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  return { context, page, problems };
}

const SCREENSHOT_ATTEMPTS = 3;

/**
 * Saves full-page screenshots as test-artifacts/FOLDER/PREFIX-NAME.png. On a loaded machine Chromium
 * now and then cannot capture a frame ("Unable to capture screenshot"); a screenshot is an artefact
 * for people to look at, so it is taken again rather than failing the journey it illustrates.
 */
export function screenshots(folder: string, prefix: string): (page: Page, name: string) => Promise<Buffer> {
  const dir = join(ARTIFACTS, folder);
  mkdirSync(dir, { recursive: true });
  return async (page, name) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await page.screenshot({ path: join(dir, `${prefix}-${name}.png`), fullPage: true });
      } catch (error) {
        if (attempt === SCREENSHOT_ATTEMPTS || !/Unable to capture screenshot/.test((error as Error).message)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
}
