import { existsSync } from "node:fs";
import { join } from "node:path";
import { trustedCertificate } from "../trust/certificates.ts";
import { runCommand, type RunCommand } from "../trust/run.ts";
import { discoverTrustStores, type Environment } from "../trust/stores.ts";
import { isTrusted } from "../trust/trust.ts";
import type { Finding } from "./finding.ts";

/** One finding per trust store: does it trust this installation's local CA? */
export async function checkTrust(options: {
  caCertificate: string | undefined;
  environment: Environment;
  trustCommand: string;
  run?: RunCommand;
}): Promise<Finding[]> {
  const run = options.run ?? runCommand;
  if (options.caCertificate === undefined) {
    return [
      {
        status: "problem",
        title: "The agent has not made its TLS certificate yet",
        fix: `${options.trustCommand} (makes it and installs its CA)`,
      },
    ];
  }
  const ca = trustedCertificate(options.caCertificate, "the agent's CA certificate");
  const stores = await discoverTrustStores(options.environment);
  if (
    stores.some((store) => store.kind === "nss") &&
    (await run({ command: "certutil", args: ["--help"] })).status === null
  ) {
    return [
      {
        status: "problem",
        title: "certutil (NSS tools) is not installed, so trust in browsers cannot be checked or installed",
        fix: "Debian/Ubuntu: sudo apt install libnss3-tools; Fedora: sudo dnf install nss-tools",
      },
    ];
  }
  const findings: Finding[] = [];
  for (const store of stores) {
    if (await isTrusted(store, ca, run)) {
      findings.push({ status: "ok", title: `${store.label} trusts the agent's CA` });
      continue;
    }
    const missingDatabase = store.kind === "nss" && !existsSync(join(store.directory, "cert9.db"));
    findings.push({
      status: "problem",
      title: `${store.label} ${missingDatabase ? "does not exist yet" : "does not trust the agent's CA"} (${ca.name}): the browser will refuse wss://127.0.0.1`,
      fix: options.trustCommand,
    });
  }
  return findings;
}
