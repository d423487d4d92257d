// `openssl ca -gencrl` over a list of revoked serials: the reference the CRL benches compare with.
import { spawnSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

/** Runs a command under /usr/bin/time: its wall seconds, peak RSS and output; throws when it fails. */
export function timedCommand(command: string, args: string[], cwd: string): { seconds: number; maxRssMiB: number; output: string } {
  const started = performance.now();
  const result = spawnSync("/usr/bin/time", ["-f", "maxrss_kb=%M", command, ...args], { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  const output = result.stdout + result.stderr;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${output}`);
  return { seconds, maxRssMiB: Number(/maxrss_kb=(\d+)/.exec(output)?.[1]) / 1024, output };
}

/** One line of openssl's index.txt for a revoked certificate (serial in hex, time as UTCTime text). */
export function revokedIndexLine(serialHex: string, revokedAt: Date, reason: string): string {
  const iso = revokedAt.toISOString();
  const utcTime = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const serial = serialHex.toUpperCase();
  return `R\t351231235959Z\t${utcTime},${reason}\t${serial}\tunknown\t/CN=${serial}\n`;
}

/**
 * Signs a CRL of the revoked lines in `dir`/index.txt with `openssl ca -gencrl` (SHA-256, the
 * authority key identifier as our CRLs carry it), checks it verifies, and reports its cost.
 */
export function opensslGencrl(dir: string, certificatePem: string, keyPem: string): { seconds: number; maxRssMiB: number; derBytes: number } {
  writeFileSync(join(dir, "index.txt.attr"), "unique_subject = no\n");
  writeFileSync(join(dir, "crlnumber"), "01\n");
  writeFileSync(
    join(dir, "ca.cnf"),
    ["[ca]", "default_ca = bench", "[bench]", "database = index.txt", "crlnumber = crlnumber", `certificate = ${certificatePem}`, `private_key = ${keyPem}`, "default_md = sha256", "default_crl_days = 7", "unique_subject = no", "crl_extensions = crl_ext", "[crl_ext]", "authorityKeyIdentifier = keyid:always", ""].join("\n"),
  );
  const gencrl = timedCommand("openssl", ["ca", "-config", "ca.cnf", "-gencrl", "-out", "openssl.crl"], dir);
  const verified = timedCommand("openssl", ["crl", "-in", "openssl.crl", "-CAfile", certificatePem, "-noout", "-verify"], dir);
  if (!/verify OK/.test(verified.output)) throw new Error(`openssl's own CRL did not verify:\n${verified.output}`);
  timedCommand("openssl", ["crl", "-in", "openssl.crl", "-outform", "DER", "-out", "openssl.der"], dir);
  return { seconds: gencrl.seconds, maxRssMiB: gencrl.maxRssMiB, derBytes: statSync(join(dir, "openssl.der")).size };
}
