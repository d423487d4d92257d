// Streams a CRL of 1,000,000 random 16-byte serials to a file with writeCrl, prints its time and
// peak RSS, verifies it with openssl, then has `openssl ca -gencrl` sign the same list for comparison.
// Run: node --import tsx bench/crl.bench.ts [entry count]
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import {
  type RevocationReason,
  type RevokedEntry,
  parseCertificate,
  subjectKeyIdentifierOf,
  localSigningKey,
  writeCrl,
} from "@qoltanba/pki";
import { OpensslCa } from "../packages/pki/src/test-support/openssl-ca.ts";
import { opensslGencrl, revokedIndexLine, timedCommand } from "./opensslGencrl.ts";

const count = Number(process.argv[2] ?? 1_000_000);
const REASONS: RevocationReason[] = [
  "unspecified",
  "keyCompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
];
const YEAR_SECONDS = 365 * 24 * 3600;
const now = Math.floor(Date.now() / 1000);

/**
 * The same pseudo-random list on every call (xorshift128), so the writer's two passes and the
 * openssl index agree without the list ever being held in memory.
 */
function* revokedList(): Generator<RevokedEntry> {
  let a = 0x9e3779b9,
    b = 0x243f6a88,
    c = 0xb7e15162,
    d = 0x12345678;
  const next = () => {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = (d ^ (d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return d;
  };
  for (let i = 0; i < count; i++) {
    const serial = Buffer.allocUnsafe(16);
    serial.writeUInt32BE((next() & 0x7fffffff) | 0x01000000, 0); // positive, 16 octets, never 0
    serial.writeUInt32BE(next(), 4);
    serial.writeUInt32BE(next(), 8);
    serial.writeUInt32BE(next(), 12);
    yield {
      serial,
      revokedAt: new Date((now - (next() % YEAR_SECONDS)) * 1000),
      reason: REASONS[next() % REASONS.length]!,
    };
  }
}

/** The list in pages of 10,000, as the database hands them over. */
async function* revokedListAsync(): AsyncGenerator<RevokedEntry[]> {
  let page: RevokedEntry[] = [];
  for (const entry of revokedList()) {
    page.push(entry);
    if (page.length === 10_000) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

const mib = (kb: number) => (kb / 1024).toFixed(0);
const ca = new OpensslCa({ subject: "/C=KZ/CN=Qoltanba CRL Bench CA" });
try {
  const caInfo = parseCertificate(ca.der);
  const crlPath = ca.path("bench.crl");
  const out = createWriteStream(crlPath);
  const rssBefore = process.resourceUsage().maxRSS;
  const started = performance.now();
  const result = await writeCrl(
    {
      issuerName: caInfo.subjectName,
      authorityKeyIdentifier: subjectKeyIdentifierOf(caInfo),
      crlNumber: 1n,
      thisUpdate: new Date(now * 1000),
      nextUpdate: new Date((now + 7 * 24 * 3600) * 1000),
    },
    localSigningKey(ca.key),
    revokedListAsync,
    async (chunk) => {
      if (!out.write(chunk)) await once(out, "drain");
    },
  );
  out.end();
  await once(out, "finish");
  const seconds = (performance.now() - started) / 1000;
  const rss = process.resourceUsage().maxRSS;
  console.log(
    `writeCrl: ${result.entryCount} entries, ${(result.byteLength / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s; ` +
      `peak RSS ${mib(rss)} MiB (${mib(rssBefore)} MiB before writing)`,
  );
  const sourceStarted = performance.now();
  for (let pass = 0; pass < 2; pass++) for await (const page of revokedListAsync()) void page;
  const sourceSeconds = (performance.now() - sourceStarted) / 1000;
  console.log(
    `  (generating the list twice, as the two passes do, takes ${sourceSeconds.toFixed(2)} s of that when timed alone)`,
  );

  const verify = timedCommand(
    "openssl",
    ["crl", "-inform", "DER", "-in", crlPath, "-CAfile", "ca.pem", "-noout", "-verify"],
    ca.dir,
  );
  if (!/verify OK/.test(verify.output)) throw new Error(`openssl did not verify the CRL:\n${verify.output}`);
  console.log(
    `openssl crl -verify: verify OK in ${verify.seconds.toFixed(2)} s, peak RSS ${verify.maxRssMiB.toFixed(0)} MiB`,
  );

  const indexStarted = performance.now();
  const index = createWriteStream(ca.path("index.txt"));
  let lines: string[] = [];
  for (const entry of revokedList()) {
    lines.push(revokedIndexLine(entry.serial.toString("hex"), entry.revokedAt, entry.reason!));
    if (lines.length === 10_000) {
      if (!index.write(lines.join(""))) await once(index, "drain");
      lines = [];
    }
  }
  index.end(lines.join(""));
  await once(index, "finish");
  console.log(
    `index.txt with ${count} revoked lines written in ${((performance.now() - indexStarted) / 1000).toFixed(2)} s`,
  );
  const gencrl = opensslGencrl(ca.dir, ca.certPath, "ca.key");
  console.log(
    `openssl ca -gencrl: ${gencrl.seconds.toFixed(2)} s, peak RSS ${gencrl.maxRssMiB.toFixed(0)} MiB; ` +
      `its CRL: ${(gencrl.derBytes / 1e6).toFixed(1)} MB DER, verify OK`,
  );
} finally {
  ca.dispose();
}
