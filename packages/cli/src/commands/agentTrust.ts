import { createInterface } from "node:readline/promises";
import {
  currentEnvironment,
  defaultAgentHome,
  discoverTrustStores,
  ensureAgentTls,
  installTrust,
  readAgentCaCertificate,
  readTrustedCertificate,
  removeTrust,
  trustedCertificate,
  type TrustChange,
  type TrustedCertificate,
  type TrustStore,
} from "@qoltanba/agent";
import { EXIT, type Command } from "../command.ts";

const fingerprint = (hex: string) => hex.match(/../g)!.join(":");

function plan(
  certificates: readonly TrustedCertificate[],
  stores: readonly TrustStore[],
  platform: NodeJS.Platform,
): string {
  const lines = ["These certificates will be trusted to identify websites (HTTPS):"];
  for (const certificate of certificates)
    lines.push(`  - ${certificate.name}`, `    SHA-256 ${fingerprint(certificate.sha256)}`);
  lines.push("in:", ...stores.map((store) => `  - ${store.label}`));
  if (platform === "darwin") lines.push("macOS will ask for your login password for each certificate.");
  if (platform === "win32")
    lines.push("Windows will show a security warning for each certificate: answer Yes.");
  return `${lines.join("\n")}\n`;
}

/** Asks on the terminal; an empty or closed input counts as no. */
async function confirm(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await Promise.race([
      terminal.question(question),
      new Promise<string>((resolve) => terminal.once("close", () => resolve(""))),
    ]);
    return /^(y|yes|иә|ия|да)$/i.test(answer.trim());
  } finally {
    terminal.close();
  }
}

function report(changes: readonly TrustChange[]): number {
  for (const change of changes) {
    process.stderr.write(
      `  ${change.outcome}: ${change.certificate.name} — ${change.store.label}${change.detail ? `\n    ${change.detail}` : ""}\n`,
    );
  }
  return changes.some((change) => change.outcome === "failed") ? EXIT.problem : EXIT.ok;
}

export const agentTrust: Command = {
  usage: `qoltanba agent trust [--home DIR] [--yes] [--ca-cert FILE]... [--remove]

  Makes browsers trust the agent's local CA (created on first use, unique to this installation)
  and any --ca-cert files (a CA's root certificate, e.g. its /cert/root.cer), so pages can open
  wss://127.0.0.1:13579. Linux: ~/.pki/nssdb (Chrome, Chromium) and every Firefox profile, with
  certutil from libnss3-tools; macOS: the login keychain; Windows: the user's root store.

  --home DIR   the agent's folder (default ${defaultAgentHome()})
  --yes        do not ask for confirmation
  --remove     take this installation's certificates out of the trust stores again`,
  options: {
    home: { type: "string" },
    yes: { type: "boolean" },
    "ca-cert": { type: "string", multiple: true },
    remove: { type: "boolean" },
  },
  async run(values) {
    const home = (values.home as string | undefined) ?? defaultAgentHome();
    const extra = await Promise.all(
      ((values["ca-cert"] as unknown as string[] | undefined) ?? []).map(readTrustedCertificate),
    );
    if (values.remove) {
      const stores = await discoverTrustStores(currentEnvironment());
      const current = await readAgentCaCertificate(home);
      const certificates = [
        ...(current === undefined ? [] : [trustedCertificate(current, "the agent's CA certificate")]),
        ...extra,
      ];
      return report(await removeTrust({ home, stores, certificates }));
    }
    return offerTrust(home, extra, { ask: !values.yes });
  },
};

/**
 * Shows which certificates would be trusted where, asks (unless told not to) and installs them:
 * the agent's local CA and any `extra` ones. Exit code: ok, or problem when refused or failed.
 */
export async function offerTrust(
  home: string,
  extra: readonly TrustedCertificate[],
  options: { ask: boolean },
): Promise<number> {
  const environment = currentEnvironment();
  const stores = await discoverTrustStores(environment);
  const tls = await ensureAgentTls(home);
  const certificates = [trustedCertificate(tls.caCertificate, "the agent's CA certificate"), ...extra];
  process.stderr.write(plan(certificates, stores, environment.platform));
  if (options.ask && !(await confirm("Install them? [y/N] "))) {
    process.stderr.write("Nothing was changed.\n");
    return EXIT.problem;
  }
  return report(await installTrust({ home, stores, certificates }));
}
