// Issue #3's target, measured as stated: a full CRL of 1,000,000 revoked entries (random 16-byte
// serials with reasons) made by the CA's CrlPublisher from its database — read, signed, written to
// its file and recorded with its bytes in the database — in at most 3 s with a peak RSS of at most
// 300 MB, verified by `openssl crl`, against `openssl ca -gencrl` on the same list; then the delta
// CRL after 1,000 revocations made through revokeCertificate, verified with `openssl crl` and
// `openssl verify -crl_check -use_deltas`. On SQLite and PostgreSQL.
//
// The generation runs in a child process (bench/crlGeneration.ts), so its time, CPU and peak RSS
// are the publisher's alone, not this process's with the list it inserted.
// Run: node --import tsx bench/crl-database.bench.ts [--entries N] [--engine sqlite|postgres|both] [--rounds N]
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { copyFileSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { toPem } from "@qoltanba/pki";
import { makeApplicants } from "./csrPool.ts";
import { describeMachine } from "./machine.ts";
import { opensslGencrl, revokedIndexLine, timedCommand } from "./opensslGencrl.ts";
import { psql } from "./psql.ts";
import { median } from "./stats.ts";
import { CertificateIssuer, crlFilePath, initCertificateAuthority, openCertificateAuthority, POSTGRES_BENCH_URL, revokeCertificate } from "./support.ts";

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "1000000" },
    engine: { type: "string", default: "both" },
    rounds: { type: "string", default: "3" },
  },
});
const ENTRIES = Number(values.entries);
const ROUNDS = Number(values.rounds);
const DELTA_REVOCATIONS = 1000;
const PASSWORD = "benchmark password for CA keys";
const REASONS = ["keyCompromise", "superseded", "affiliationChanged", "cessationOfOperation", "unspecified"] as const;
const YEAR_MILLISECONDS = 365 * 24 * 3600_000;
const TARGET_SECONDS = 3;
const TARGET_RSS_MB = 300;
const execFileAsync = promisify(execFile);

/** Random positive serials of 16 octets, as the CA issues, in one buffer. */
function randomSerials(count: number): Buffer {
  const bytes = randomBytes(16 * count);
  for (let offset = 0; offset < bytes.length; offset += 16) bytes[offset] = (bytes[offset]! % 0x7f) + 1;
  return bytes;
}

/** One list for both engines and openssl: serials, reasons in turn, times over the past year. */
const started = Date.now();
const serialBytes = randomSerials(ENTRIES);
const listed = (index: number) => {
  return {
    serial: serialBytes.toString("hex", 16 * index, 16 * index + 16),
    revokedAt: new Date(started - ((index * 7919) % YEAR_MILLISECONDS)),
    reason: REASONS[index % REASONS.length]!,
  };
};

interface GenerationRound {
  readonly number: number;
  readonly entryCount: number;
  readonly byteLength: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly serverCpuSeconds: number;
  readonly rssAfter: number;
}

interface Generation {
  readonly rssOpened: number;
  readonly peakRss: number;
  readonly rounds: readonly GenerationRound[];
  readonly loadBefore: number;
  readonly loadAfter: number;
}

/** `rounds` CRLs of a kind made one after another by one child process (bench/crlGeneration.ts). */
async function generateInChild(dir: string, databaseUrl: string | undefined, kind: "full" | "delta"): Promise<Generation> {
  const loadBefore = loadavg()[0]!;
  const args = ["--import", "tsx", join(import.meta.dirname, "crlGeneration.ts"), "--dir", dir, "--kind", kind, "--rounds", String(ROUNDS)];
  const env = { ...process.env, QOLTANBA_KEY_PASSWORD: PASSWORD, ...(databaseUrl ? { QOLTANBA_BENCH_DATABASE_URL: databaseUrl } : {}) };
  const { stdout } = await execFileAsync(process.execPath, args, { env, maxBuffer: 1 << 20 });
  return { ...(JSON.parse(stdout.trim().split("\n").at(-1)!) as Omit<Generation, "loadBefore" | "loadAfter">), loadBefore, loadAfter: loadavg()[0]! };
}

/** Fails unless openssl verifies the CRL file (DER) with the issuing CA's certificate; returns its seconds. */
function opensslVerifiesCrl(file: string, issuingPem: string, cwd: string): number {
  const verified = timedCommand("openssl", ["crl", "-inform", "DER", "-in", file, "-noout", "-CAfile", issuingPem], cwd);
  if (!/verify OK/.test(verified.output)) throw new Error(`openssl did not verify ${file}:\n${verified.output}`);
  return verified.seconds;
}

async function run(engine: "sqlite" | "postgres", work: string) {
  const dir = join(work, engine);
  const schema = `bench_crl_${randomBytes(4).toString("hex")}`;
  const databaseUrl = engine === "postgres" ? `${POSTGRES_BENCH_URL}?schema=${schema}&application_name=${schema}` : undefined;
  await initCertificateAuthority({ dir, password: PASSWORD, ...(databaseUrl ? { databaseUrl } : {}) });
  const ca = await openCertificateAuthority(dir, { password: PASSWORD, ...(databaseUrl ? { databaseUrl } : {}) });
  try {
    const fillStarted = performance.now();
    const issuedAt = new Date(started - YEAR_MILLISECONDS).toISOString();
    const row = (serial: string, index: number, revoked?: ReturnType<typeof listed>) => ({
      serial,
      profile: "individual-sign",
      owner: `iin:bench${index}`,
      spki_sha256: serial,
      not_before: issuedAt,
      not_after: new Date(started + YEAR_MILLISECONDS).toISOString(),
      issued_at: issuedAt,
      der: Buffer.alloc(1),
      revoked_at: revoked ? revoked.revokedAt.toISOString() : null,
      revocation_reason: revoked ? revoked.reason : null,
      invalidity_date: null,
      revocation_seq: revoked ? 1 : null,
    });
    // Set-up only: rows go straight in — the revoked ones as revocation would have written them,
    // and the ones the delta's revocations will revoke through revokeCertificate.
    const toRevokeBytes = randomSerials(DELTA_REVOCATIONS - 1);
    const toRevoke = Array.from({ length: DELTA_REVOCATIONS - 1 }, (_, index) => toRevokeBytes.toString("hex", 16 * index, 16 * index + 16));
    for (let start = 0; start < ENTRIES; start += 400) {
      const rows = [];
      for (let index = start; index < Math.min(ENTRIES, start + 400); index++) {
        const revoked = listed(index);
        rows.push(row(revoked.serial, index, revoked));
      }
      await ca.store.db.insertInto("certificates").values(rows).execute();
    }
    await ca.store.db.insertInto("certificates").values(toRevoke.map((serial, index) => row(serial, ENTRIES + index))).execute();
    const issuer = new CertificateIssuer(ca);
    const [revokedLeaf, goodLeaf] = await Promise.all(
      (await makeApplicants(2)).map(async (applicant, index) => {
        const issued = await issuer.issueCertificate({ csr: applicant.csr, profile: "individual-sign", subject: applicant.subject });
        const pem = join(work, `${engine}-leaf${index}.pem`);
        writeFileSync(pem, toPem("CERTIFICATE", issued.certificate));
        return { serial: issued.serial, pem };
      }),
    );
    // What autovacuum does on a live database: the planner's statistics and the visibility map an
    // index-only scan needs. Then the bulk load's writes are flushed (a checkpoint), so they are not
    // written out during the measured CRLs: a live CA's revocations come a few at a time.
    if (engine === "postgres") {
      await psql(POSTGRES_BENCH_URL, `vacuum analyze ${schema}.certificates`);
      await psql(POSTGRES_BENCH_URL, "checkpoint");
    } else {
      ca.store.sqlite!.pragma("wal_checkpoint(TRUNCATE)");
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    console.log(`${engine}: ${ENTRIES} revoked and ${DELTA_REVOCATIONS + 1} valid certificates in the database in ${fillSeconds.toFixed(0)} s`);

    const full = await generateInChild(dir, databaseUrl, "full");
    for (const round of full.rounds) console.log(`${engine}: full CRL #${round.number}: ${round.entryCount} entries, ${round.byteLength} bytes, ${round.seconds.toFixed(2)} s`);
    const issuingPem = join(dir, "certs", "issuing.pem");
    const fullFile = join(work, `${engine}-full.crl`); // the base of the deltas to come, kept as it was published
    copyFileSync(crlFilePath(dir, "full"), fullFile);
    const fullVerifySeconds = opensslVerifiesCrl(fullFile, issuingPem, work);

    const revocationStarted = performance.now();
    for (const [index, serial] of [...toRevoke, revokedLeaf!.serial].entries()) {
      await revokeCertificate(ca, { serial, reason: REASONS[index % REASONS.length]! });
    }
    const revocationSeconds = (performance.now() - revocationStarted) / 1000;
    const delta = await generateInChild(dir, databaseUrl, "delta");
    const deltaFile = crlFilePath(dir, "delta");
    const deltaVerifySeconds = opensslVerifiesCrl(deltaFile, issuingPem, work);
    const chain = join(work, `${engine}-chain.pem`);
    writeFileSync(chain, Buffer.concat([readFileSync(join(dir, "certs", "root.pem")), readFileSync(issuingPem)]));
    const check = (leaf: string, crls: string[]) => {
      const args = ["verify", "-crl_check", "-use_deltas", "-CAfile", chain, ...crls.flatMap((crl) => ["-CRLfile", crl]), leaf];
      try {
        return timedCommand("openssl", args, work).output;
      } catch (error) {
        return (error as Error).message;
      }
    };
    const crls = [crlFilePath(dir, "root"), fullFile, deltaFile];
    const revokedWithDelta = check(revokedLeaf!.pem, crls);
    const revokedWithoutDelta = check(revokedLeaf!.pem, crls.slice(0, 2));
    const good = check(goodLeaf!.pem, crls);
    if (!/certificate revoked/.test(revokedWithDelta)) throw new Error(`openssl did not find the revoked certificate in the delta CRL:\n${revokedWithDelta}`);
    if (!/: OK/.test(revokedWithoutDelta)) throw new Error(`without the delta the certificate should still verify:\n${revokedWithoutDelta}`);
    if (!/: OK/.test(good)) throw new Error(`the certificate never revoked did not verify:\n${good}`);
    console.log(`${engine}: delta CRL: ${delta.rounds[0]!.entryCount} entries; openssl verify -crl_check -use_deltas: revoked with the delta, OK without it, the other certificate OK`);
    return { engine, fillSeconds, full, fullBytes: statSync(fullFile).size, fullVerifySeconds, revocationSeconds, delta, deltaVerifySeconds };
  } finally {
    await ca.close();
    if (engine === "postgres") await psql(POSTGRES_BENCH_URL, `drop schema ${schema} cascade`);
  }
}

const work = mkdtempSync(join(tmpdir(), "qoltanba-crl-bench-"));
try {
  const machine = await describeMachine();
  const loadAtStart = loadavg();
  const engines = values.engine === "both" ? (["sqlite", "postgres"] as const) : [values.engine as "sqlite" | "postgres"];
  const results = [];
  for (const engine of engines) results.push(await run(engine, work));

  // The same list signed by `openssl ca -gencrl` with the same issuing key.
  const openssl = join(work, "openssl");
  mkdirSync(openssl);
  const index = createWriteStream(join(openssl, "index.txt"));
  for (let start = 0; start < ENTRIES; start += 10_000) {
    let lines = "";
    for (let i = start; i < Math.min(ENTRIES, start + 10_000); i++) lines += revokedIndexLine(listed(i).serial, listed(i).revokedAt, listed(i).reason);
    if (!index.write(lines)) await once(index, "drain");
  }
  index.end();
  await once(index, "finish");
  const firstDir = join(work, results[0]!.engine);
  const keyPem = join(openssl, "issuing.key");
  await execFileAsync("openssl", ["pkey", "-in", join(firstDir, "keys", "issuing.key.pem"), "-passin", "env:BENCH_PASSWORD", "-out", keyPem], { env: { ...process.env, BENCH_PASSWORD: PASSWORD } });
  const peer = opensslGencrl(openssl, join(firstDir, "certs", "issuing.pem"), keyPem);

  const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
  const seconds = (value: number) => value.toFixed(2);
  const load = (values: readonly number[]) => values.map((value) => value.toFixed(1)).join(" / ");
  console.log(`\n${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node} (OpenSSL ${machine.nodeOpenssl}); ${ENTRIES} entries, ${ROUNDS} rounds`);
  console.log(`load average (1/5/15 min) at the start ${load(loadAtStart)}, at the end ${load(loadavg())}\n`);
  console.log("| engine | full CRL: median (rounds) | CPU s (process + PostgreSQL) | peak RSS (after opening) | RSS after each round | size | openssl crl -verify | openssl ca -gencrl ÷ ours | load (1 min) |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const { engine, full, fullBytes, fullVerifySeconds } of results) {
    const wall = median(full.rounds.map((round) => round.seconds));
    const cpu = median(full.rounds.map((round) => round.cpuSeconds));
    const server = median(full.rounds.map((round) => round.serverCpuSeconds));
    console.log(
      `| ${engine} | **${seconds(wall)} s** (${full.rounds.map((round) => seconds(round.seconds)).join(", ")}) | ${seconds(cpu)} + ${seconds(server)} | **${mb(full.peakRss)} MB** (${mb(full.rssOpened)}) | ` +
        `${full.rounds.map((round) => mb(round.rssAfter)).join(", ")} MB | ${(fullBytes / 1e6).toFixed(1)} MB | ${seconds(fullVerifySeconds)} s, OK | ${(peer.seconds / wall).toFixed(1)}× | ${full.loadBefore.toFixed(1)}–${full.loadAfter.toFixed(1)} |`,
    );
  }
  console.log(`\nopenssl ca -gencrl on the same list: ${seconds(peer.seconds)} s, peak RSS ${peer.maxRssMiB.toFixed(0)} MiB, ${(peer.derBytes / 1e6).toFixed(1)} MB DER, verify OK\n`);
  console.log(`| engine | ${DELTA_REVOCATIONS} revocations (revokeCertificate, one by one) | delta CRL: median (rounds) | CPU s (process + PostgreSQL) | peak RSS | entries | size | openssl crl -verify |`);
  console.log("|---|---|---|---|---|---|---|---|");
  for (const { engine, revocationSeconds, delta, deltaVerifySeconds } of results) {
    const last = delta.rounds.at(-1)!;
    console.log(
      `| ${engine} | ${seconds(revocationSeconds)} s | **${seconds(median(delta.rounds.map((round) => round.seconds)))} s** (${delta.rounds.map((round) => seconds(round.seconds)).join(", ")}) | ` +
        `${seconds(median(delta.rounds.map((round) => round.cpuSeconds)))} + ${seconds(median(delta.rounds.map((round) => round.serverCpuSeconds)))} | ${mb(delta.peakRss)} MB | ${last.entryCount} | ${(last.byteLength / 1e3).toFixed(1)} kB | ${seconds(deltaVerifySeconds)} s, OK |`,
    );
  }
  for (const { engine, full } of results) {
    const wall = median(full.rounds.map((round) => round.seconds));
    console.log(
      `\n${engine}: ${wall <= TARGET_SECONDS ? "met" : "NOT met"} ≤ ${TARGET_SECONDS} s (median ${seconds(wall)} s); ` +
        `${full.peakRss / 1e6 <= TARGET_RSS_MB ? "met" : "NOT met"} ≤ ${TARGET_RSS_MB} MB peak RSS (${mb(full.peakRss)} MB)`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
