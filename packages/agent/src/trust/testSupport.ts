import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpensslCa, P256 } from "../../../pki/src/test-support/openssl-ca.ts";
import { agentTlsPaths } from "../tls/agentTls.ts";

export function temporaryFolder(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A server certificate for bank.example, a name outside the local CA's name constraints, signed by
 * openssl with the agent's own CA key (from `agentHome`): PEM.
 */
export function rogueServerCertificate(agentHome: string, extensions: readonly string[]): string {
  const { ca } = agentTlsPaths(agentHome);
  const agentCa = new OpensslCa({ existing: { certificate: ca, key: ca } });
  try {
    agentCa.request("rogue", "/CN=bank.example", P256);
    return readFileSync(agentCa.certify("rogue", { days: 30, extensions }), "utf8");
  } finally {
    agentCa.dispose();
  }
}

/** A Firefox-like profile folder with its own empty NSS database, as Firefox creates on first start. */
export function firefoxProfile(homeDirectory: string, name: string): string {
  const directory = join(homeDirectory, ".mozilla/firefox", name);
  mkdirSync(directory, { recursive: true });
  const result = spawnSync("certutil", ["-N", "-d", `sql:${directory}`, "--empty-password"], {
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return directory;
}

/** certutil -L of a database: nickname → trust flags. */
export function nssListing(directory: string): Map<string, string> {
  const result = spawnSync("certutil", ["-L", "-d", `sql:${directory}`], { encoding: "utf8" });
  const entries = new Map<string, string>();
  for (const line of result.stdout.split("\n")) {
    const match = /^(.*\S)\s+(\S*,\S*,\S*)\s*$/.exec(line);
    if (match) entries.set(match[1]!, match[2]!);
  }
  return entries;
}

/** NSS's own chain validation for a TLS server certificate against the database's trust. */
export function vfychain(directory: string, certificatePem: string, folder: string) {
  const file = join(mkdtempSync(join(folder, "leaf-")), "leaf.pem");
  writeFileSync(file, certificatePem);
  const result = spawnSync("vfychain", ["-d", `sql:${directory}`, "-u", "1", "-a", file], {
    encoding: "utf8",
  });
  return { status: result.status, output: result.stdout + result.stderr };
}
