// Full CRL of 1,000,000 revoked certificates generated from the database (SQLite and PostgreSQL),
// compared with `openssl ca -gencrl` over the same list. Run: node --import tsx bench/crl-database.bench.ts [--entries N]
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CrlPublisher, crlFilePath, initCertificateAuthority, openCertificateAuthority, POSTGRES_BENCH_URL } from "./support.ts";

const { values } = parseArgs({ options: { entries: { type: "string", default: "1000000" }, engine: { type: "string", default: "both" } } });
const ENTRIES = Number(values.entries);
const PASSWORD = "benchmark password for CA keys";
const REASONS = ["keyCompromise", "superseded", "affiliationChanged", "cessationOfOperation", "unspecified"] as const;

async function run(engine: "sqlite" | "postgres") {
  const work = mkdtempSync(join(tmpdir(), "qoltanba-crl-bench-"));
  const dir = join(work, "ca");
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  await initCertificateAuthority({ dir, password: PASSWORD, ...(engine === "postgres" ? { databaseUrl: `${POSTGRES_BENCH_URL}?schema=${schema}` } : {}) });
  const ca = await openCertificateAuthority(dir, { password: PASSWORD });
  const serials: string[] = [];
  const started = Date.now();
  const now = new Date().toISOString();
  for (let start = 0; start < ENTRIES; start += 2000) {
    const rows = Array.from({ length: Math.min(2000, ENTRIES - start) }, (_, index) => {
      let serial = randomBytes(16);
      if (serial[0] === 0) serial = Buffer.concat([Buffer.from([1]), serial.subarray(1)]);
      const hex = serial.toString("hex");
      serials.push(hex);
      return {
        serial: hex,
        profile: "individual-sign",
        owner: `iin:bench${start + index}`,
        spki_sha256: hex,
        not_before: now,
        not_after: now,
        issued_at: now,
        der: Buffer.alloc(1),
        revoked_at: now,
        revocation_reason: REASONS[(start + index) % REASONS.length]!,
        invalidity_date: null,
        revocation_seq: 1,
      };
    });
    // Bench set-up only: rows go straight in (the CRL reads what revocation would have written).
    for (let offset = 0; offset < rows.length; offset += 400) await ca.store.db.insertInto("certificates").values(rows.slice(offset, offset + 400)).execute();
  }
  console.log(`${engine}: inserted ${ENTRIES} revoked rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const times: number[] = [];
  let rss = 0;
  for (let round = 0; round < 3; round++) {
    const before = process.memoryUsage().rss;
    const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 20);
    const t0 = performance.now();
    const record = await new CrlPublisher(ca).generate("full");
    times.push((performance.now() - t0) / 1000);
    clearInterval(sampler);
    console.log(`${engine}: full CRL #${record.number}: ${record.entryCount} entries, ${(record.byteLength / 1e6).toFixed(1)} MB in ${times.at(-1)!.toFixed(2)} s (RSS before ${(before / 1e6).toFixed(0)} MB)`);
  }
  const file = crlFilePath(dir, "full");
  const verifyStart = performance.now();
  execFileSync("openssl", ["crl", "-inform", "DER", "-in", file, "-noout", "-CAfile", join(dir, "certs", "issuing.pem")], { stdio: "pipe" });
  const opensslVerify = (performance.now() - verifyStart) / 1000;
  await ca.close();
  if (engine === "postgres") execFileSync("psql", [POSTGRES_BENCH_URL, "-qc", `drop schema ${schema} cascade`]);
  times.sort((a, b) => a - b);
  return { engine, median: times[1]!, peakRss: rss, size: statSync(file).size, opensslVerify, serials, dir };
}

async function opensslGencrl(dir: string, serials: string[]) {
  const work = mkdtempSync(join(tmpdir(), "qoltanba-openssl-ca-"));
  const key = join(work, "issuing.key");
  execFileSync("openssl", ["pkey", "-in", join(dir, "keys", "issuing.key.pem"), "-passin", "env:BENCH_PASSWORD", "-out", key], { env: { ...process.env, BENCH_PASSWORD: PASSWORD } });
  const date = "260101000000Z";
  writeFileSync(join(work, "index.txt"), serials.map((serial, i) => `R\t300101000000Z\t${date},${REASONS[i % REASONS.length]}\t${serial.toUpperCase()}\tunknown\t/CN=x\n`).join(""));
  writeFileSync(join(work, "crlnumber"), "01\n");
  writeFileSync(join(work, "ca.cnf"), `[ca]\ndefault_ca=x\n[x]\ndatabase=${work}/index.txt\ncrlnumber=${work}/crlnumber\ndefault_md=sha256\ndefault_crl_days=1\n`);
  const t0 = performance.now();
  execFileSync("openssl", ["ca", "-gencrl", "-config", join(work, "ca.cnf"), "-keyfile", key, "-cert", join(dir, "certs", "issuing.pem"), "-out", join(work, "crl.pem")], { stdio: "pipe" });
  return { seconds: (performance.now() - t0) / 1000, size: readFileSync(join(work, "crl.pem")).length };
}

const engines = values.engine === "both" ? (["sqlite", "postgres"] as const) : [values.engine as "sqlite" | "postgres"];
const results = [];
for (const engine of engines) results.push(await run(engine));
const peer = await opensslGencrl(results[0]!.dir, results[0]!.serials);
console.log("\n| engine | entries | median of 3 | peak RSS | CRL size | openssl crl -verify | openssl ca -gencrl (same list) | ratio |");
console.log("|---|---|---|---|---|---|---|---|");
for (const result of results) {
  console.log(`| ${result.engine} | ${ENTRIES} | ${result.median.toFixed(2)} s | ${(result.peakRss / 1e6).toFixed(0)} MB | ${(result.size / 1e6).toFixed(1)} MB | ${result.opensslVerify.toFixed(2)} s OK | ${peer.seconds.toFixed(2)} s | ${(peer.seconds / result.median).toFixed(1)}× faster |`);
}
