import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  configPath,
  initCertificateAuthority,
  openCertificateAuthority,
  PASSWORD_ENV,
  publicationUrls,
  readCaConfig,
} from "@qoltanba/ca";
import { DEFAULT_PORT, defaultAgentHome, type AgentServer } from "@qoltanba/agent";
import { DEMO_PERSONS_FILE, openPortalForCa } from "@qoltanba/portal";
import { EXIT, type Command } from "../command.ts";
import { startLocalAgent } from "./agent.ts";
import { offerTrust } from "./agentTrust.ts";
import { DEFAULT_LISTEN, serveCa } from "./serve.ts";

const DEMO_PASSWORD_FILE = "demo-password";
const DEMO_OPERATOR_LINK_FILE = "demo-operator-link";
/** The demo's Registration Center operator: a demo person, at the Esil district center of Astana. */
const DEMO_OPERATOR = { iin: "580819300616", name: "КИМ ВЛАДИМИР НИКОЛАЕВИЧ", center: "astana.esil.rc" };

/** The demo persons (IIN and name), for the person trying the demo to apply as. */
async function demoPersons(): Promise<string[]> {
  const [, ...rows] = (await readFile(DEMO_PERSONS_FILE, "utf8")).trim().split("\n");
  return rows.map((row) => {
    const [iin, ...names] = row.split(",");
    return `${iin}  ${names.filter(Boolean).join(" ")}`;
  });
}

/**
 * Enrols the demo operator once: the one-time link (kept in the CA folder, readable only by you,
 * until it is used) lets them apply for an operator's certificates through the portal.
 */
async function demoOperatorLink(dir: string): Promise<string> {
  const file = join(dir, DEMO_OPERATOR_LINK_FILE);
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const ca = await openCertificateAuthority(dir);
  try {
    const portal = await openPortalForCa(ca);
    try {
      const { link } = await portal.console.operators.add({
        iin: DEMO_OPERATOR.iin,
        role: "operator",
        center: DEMO_OPERATOR.center,
        createdBy: "demo",
        baseUrl: ca.config.baseUrl,
        acceptTestIin: ca.config.acceptTestIin,
      });
      await writeFile(file, link + "\n", { mode: 0o600 });
      return link;
    } finally {
      await portal.close();
    }
  } finally {
    await ca.close();
  }
}

/** The local agent for the demo, unless one (or NCALayer) already holds its port. */
async function startDemoAgent(home: string, firstRun: boolean): Promise<AgentServer | undefined> {
  let agent: AgentServer;
  try {
    agent = await startLocalAgent({ home, port: DEFAULT_PORT });
  } catch (error) {
    process.stderr.write(`the local agent is not started: ${(error as Error).message}\n`);
    return undefined;
  }
  if (firstRun && process.stdin.isTTY) {
    process.stderr.write("Browsers reach the agent at wss://127.0.0.1 only once they trust its certificate.\n");
    await offerTrust(home, [], { ask: true });
  } else {
    process.stderr.write(`(if your browser cannot reach the agent: qoltanba agent trust --home ${home})\n`);
  }
  return agent;
}

export const demo: Command = {
  usage: `qoltanba demo [--dir DIR] [--listen HOST:PORT] [--agent-home DIR] [--without-agent]

  The whole system on this computer: the CA with its portal, CRL, OCSP and time-stamp services, and
  the local signing agent (on wss://127.0.0.1:${DEFAULT_PORT}; on the first run it offers to make your
  browsers trust it). Ctrl-C stops everything.
  --dir DIR          the CA folder (default ./qoltanba-ca); created on first run
  --listen           default ${DEFAULT_LISTEN}
  --agent-home DIR   the agent's folder (default ${defaultAgentHome()})
  --without-agent    do not start the agent (one is running already, say)
  The key password comes from ${PASSWORD_ENV} when set; otherwise a random one is made and kept in
  DIR/${DEMO_PASSWORD_FILE} (readable only by you) — fine for a demo, not for a real CA.`,
  options: {
    dir: { type: "string" },
    listen: { type: "string" },
    "agent-home": { type: "string" },
    "without-agent": { type: "boolean" },
  },
  async run(values) {
    const dir = (values.dir as string | undefined) ?? "qoltanba-ca";
    const listen = (values.listen as string | undefined) ?? DEFAULT_LISTEN;
    const passwordFile = process.env[PASSWORD_ENV] ? undefined : join(dir, DEMO_PASSWORD_FILE);
    const firstRun = !existsSync(configPath(dir));
    if (firstRun) {
      const password = process.env[PASSWORD_ENV] ?? randomBytes(24).toString("base64url");
      process.stderr.write(`creating a demo CA in ${dir} (RSA-4096 root: a few seconds)…\n`);
      await initCertificateAuthority({ dir, password, baseUrl: `http://${listen}`, acceptTestIin: true });
      if (passwordFile) await writeFile(passwordFile, password + "\n", { mode: 0o600 });
    }
    const urls = publicationUrls((await readCaConfig(dir)).baseUrl);
    process.env.QOLTANBA_PERSONS ??= DEMO_PERSONS_FILE;
    const agentHome = (values["agent-home"] as string | undefined) ?? defaultAgentHome();
    const agent = values["without-agent"] ? undefined : await startDemoAgent(agentHome, firstRun);
    const persons = await demoPersons();
    const operatorLink = await demoOperatorLink(dir);
    try {
      await serveCa(dir, listen, { passwordFile }, () =>
        process.stderr.write(
          [
            "Qoltanba demo is up (Ctrl-C stops it):",
            `  enrollment portal    http://${listen}/  (mail: http://${listen}/mail-catcher)`,
            `  local agent          ${agent ? agent.url : "not started"}`,
            `  root certificate     ${urls.rootCertificate}`,
            `  issuing certificate  ${urls.issuingCertificate}`,
            `  CRL / delta CRL      ${urls.crl} ${urls.deltaCrl}`,
            `  OCSP / time-stamps   ${urls.ocsp} ${urls.tsa}`,
            `  Registration Center  http://${listen}/console`,
            `The demo operator (${DEMO_OPERATOR.name}, IIN ${DEMO_OPERATOR.iin}, ${DEMO_OPERATOR.center}) enrols once`,
            `through this link, applies as anyone does, then signs in to the console with the agent:`,
            `  ${operatorLink}`,
            "Demo persons to apply as (IIN, name):",
            ...persons.map((person) => `  ${person}`),
            "",
          ].join("\n"),
        ),
      );
    } finally {
      await agent?.close();
    }
    return EXIT.ok;
  },
};
