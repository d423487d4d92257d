import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "@qoltanba/pki";
import { readIfPresent, writeAtomically } from "../tls/atomicFiles.ts";
import { trustedCertificate, type TrustedCertificate } from "./certificates.ts";
import { keychainCommands, keychainTrusts } from "./macosKeychain.ts";
import { nssCommands, nssTrusts } from "./nssDatabase.ts";
import { runCommand, type CommandLine, type CommandResult, type RunCommand } from "./run.ts";
import type { TrustStore } from "./stores.ts";
import { windowsRootCommands, windowsRootTrusts } from "./windowsRootStore.ts";

export interface TrustChange {
  readonly store: TrustStore;
  readonly certificate: TrustedCertificate;
  readonly outcome: "added" | "already trusted" | "removed" | "not present" | "failed";
  readonly detail?: string;
}

export function isTrusted(
  store: TrustStore,
  certificate: TrustedCertificate,
  run: RunCommand = runCommand,
): Promise<boolean> {
  switch (store.kind) {
    case "nss":
      return nssTrusts(store.directory, certificate, run);
    case "macos-keychain":
      return keychainTrusts(store.keychain, certificate, run);
    case "windows-user-root":
      return windowsRootTrusts(certificate, run);
  }
}

/** The commands that make `store` trust the certificate held in `file` (DER). */
export function addCommands(store: TrustStore, certificate: TrustedCertificate, file: string): CommandLine[] {
  switch (store.kind) {
    case "nss":
      return [nssCommands.add(store.directory, certificate.name, file)];
    case "macos-keychain":
      return [keychainCommands.add(store.keychain, file)];
    case "windows-user-root":
      return [windowsRootCommands.add(file)];
  }
}

export function removeCommands(
  store: TrustStore,
  certificate: TrustedCertificate,
  file: string,
): CommandLine[] {
  switch (store.kind) {
    case "nss":
      return [nssCommands.delete(store.directory, certificate.name)];
    case "macos-keychain":
      return [keychainCommands.removeTrust(file), keychainCommands.delete(store.keychain, certificate.sha1)];
    case "windows-user-root":
      return [windowsRootCommands.delete(certificate.sha1)];
  }
}

function failure(line: CommandLine, result: CommandResult): string {
  if (result.status === null && /ENOENT/.test(result.stderr)) {
    const hint =
      line.command === "certutil"
        ? " (NSS tools — Debian/Ubuntu: apt install libnss3-tools; Fedora: dnf install nss-tools)"
        : "";
    return `${line.command} is not installed${hint}`;
  }
  return `${line.command} ${line.args[0]} … failed: ${(result.stderr || result.stdout.toString("utf8")).trim() || `exit ${result.status}`}`;
}

/** Runs the commands in order; the first failure's description, or undefined when all succeeded. */
async function runAll(lines: CommandLine[], run: RunCommand): Promise<string | undefined> {
  for (const line of lines) {
    const result = await run(line);
    if (result.status !== 0) return failure(line, result);
  }
  return undefined;
}

async function withCertificateFiles<T>(
  certificates: readonly TrustedCertificate[],
  use: (files: string[]) => Promise<T>,
): Promise<T> {
  const folder = await mkdtemp(join(tmpdir(), "qoltanba-trust-"));
  try {
    const files = certificates.map((_, index) => join(folder, `certificate-${index}.cer`));
    await Promise.all(certificates.map((certificate, index) => writeFile(files[index]!, certificate.der)));
    return await use(files);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Creates Chrome's NSS database when a fresh account has none yet; a failure, or undefined. */
async function prepare(store: TrustStore, run: RunCommand): Promise<string | undefined> {
  if (store.kind !== "nss" || !store.createIfMissing || existsSync(join(store.directory, "cert9.db")))
    return undefined;
  await mkdir(store.directory, { recursive: true, mode: 0o700 });
  return runAll([nssCommands.create(store.directory)], run);
}

/** The certificates this installation added to trust stores, so uninstalling removes exactly those. */
const recordPath = (home: string) => join(home, "trusted-certificates.json");

export async function recordedCertificates(home: string): Promise<TrustedCertificate[]> {
  const text = await readIfPresent(recordPath(home));
  if (text === undefined) return [];
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    entries = undefined;
  }
  if (!Array.isArray(entries) || !entries.every((entry) => typeof entry?.der === "string")) {
    throw new InputError("trust_record_damaged", `${recordPath(home)} is damaged; fix or delete it`);
  }
  return entries.map((entry: { der: string }) =>
    trustedCertificate(Buffer.from(entry.der, "base64"), recordPath(home)),
  );
}

async function writeRecord(home: string, certificates: readonly TrustedCertificate[]): Promise<void> {
  const unique = [...new Map(certificates.map((certificate) => [certificate.sha256, certificate])).values()];
  const entries = unique.map((certificate) => ({
    name: certificate.name,
    sha256: certificate.sha256,
    der: certificate.der.toString("base64"),
  }));
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeAtomically(recordPath(home), `${JSON.stringify(entries, null, 2)}\n`, 0o644);
}

/** Makes every store trust every certificate (skipping what is already there) and records what was added. */
export async function installTrust(options: {
  home: string;
  stores: readonly TrustStore[];
  certificates: readonly TrustedCertificate[];
  run?: RunCommand;
}): Promise<TrustChange[]> {
  const run = options.run ?? runCommand;
  const changes: TrustChange[] = [];
  await withCertificateFiles(options.certificates, async (files) => {
    for (const store of options.stores) {
      const prepared = await prepare(store, run);
      for (const [index, certificate] of options.certificates.entries()) {
        if (prepared) changes.push({ store, certificate, outcome: "failed", detail: prepared });
        else if (await isTrusted(store, certificate, run))
          changes.push({ store, certificate, outcome: "already trusted" });
        else {
          const failed = await runAll(addCommands(store, certificate, files[index]!), run);
          changes.push(
            failed
              ? { store, certificate, outcome: "failed", detail: failed }
              : { store, certificate, outcome: "added" },
          );
        }
      }
    }
  });
  const added = changes.filter((change) => change.outcome === "added").map((change) => change.certificate);
  if (added.length > 0)
    await writeRecord(options.home, [...(await recordedCertificates(options.home)), ...added]);
  return changes;
}

/** Removes from every store the recorded certificates and `certificates` (the current local CA). */
export async function removeTrust(options: {
  home: string;
  stores: readonly TrustStore[];
  certificates: readonly TrustedCertificate[];
  run?: RunCommand;
}): Promise<TrustChange[]> {
  const run = options.run ?? runCommand;
  const all = [
    ...new Map(
      [...(await recordedCertificates(options.home)), ...options.certificates].map((c) => [c.sha256, c]),
    ).values(),
  ];
  const changes: TrustChange[] = [];
  await withCertificateFiles(all, async (files) => {
    for (const store of options.stores) {
      for (const [index, certificate] of all.entries()) {
        if (!(await isTrusted(store, certificate, run))) {
          changes.push({ store, certificate, outcome: "not present" });
          continue;
        }
        const failed = await runAll(removeCommands(store, certificate, files[index]!), run);
        changes.push(
          failed
            ? { store, certificate, outcome: "failed", detail: failed }
            : { store, certificate, outcome: "removed" },
        );
      }
    }
  });
  const kept = all.filter((certificate) =>
    changes.some((change) => change.certificate === certificate && change.outcome === "failed"),
  );
  if (kept.length > 0) await writeRecord(options.home, kept);
  else await rm(recordPath(options.home), { force: true });
  return changes;
}
