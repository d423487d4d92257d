// Seeded fuzzing of the TSA over real HTTP. QOLTANBA_FUZZ_ITERATIONS=100000 for a longer run.
// openssl's sample requests carry fresh nonces, so runs differ in detail; a failure prints its request.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  children,
  type Element,
  parseTimeStampResponse,
  readSingle,
  type TimeStampFailure,
} from "@qoltanba/pki";
import { mutate, seededRandom } from "../../../pki/src/test-support/fuzz.ts";
import { openssl } from "../testSupport.ts";
import { startTsaTestServer, type TsaTestServer } from "./tsaTestServer.ts";

const ITERATIONS = Number(process.env.QOLTANBA_FUZZ_ITERATIONS ?? 1000);
const CONCURRENCY = 16;
const OPENSSL_SAMPLES = 6;
/** What a mutated request may be refused with: each names a fault of the request, none is ours. */
const REQUEST_FAULTS: readonly TimeStampFailure[] = [
  "badRequest",
  "badAlg",
  "badDataFormat",
  "unacceptedPolicy",
  "unacceptedExtension",
];

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

let tsa: TsaTestServer;
const samples: Buffer[] = [];

before(async () => {
  tsa = await startTsaTestServer();
  const data = join(tsa.work, "data.bin");
  writeFileSync(data, "fuzzed");
  const variants = [
    ["-sha256", "-cert"],
    ["-sha384", "-no_nonce"],
    ["-sha512", "-cert", "-tspolicy", tsa.ca.config.tsaPolicy],
    ["-sha256", "-tspolicy", "1.2.3.4"],
  ];
  variants.forEach((options, index) => {
    const path = join(tsa.work, `sample-${index}.tsq`);
    openssl(["ts", "-query", "-data", data, "-out", path, ...options]);
    samples.push(readFileSync(path));
  });
});
after(() => tsa.close());

/** Where each TLV's length octets start, for every element of a DER tree. */
function lengthOffsets(der: Buffer): number[] {
  const offsets: number[] = [];
  const walk = (element: Element) => {
    offsets.push(element.raw.byteOffset - der.byteOffset + 1);
    if (element.tag & 0x20) children(element).forEach(walk);
  };
  walk(readSingle(der));
  return offsets;
}

/** A real request with one length replaced by a huge or impossible one (4 GiB, 2^64, indefinite, reserved). */
function hugeLength(sample: Buffer, random: () => number): Buffer {
  const offsets = lengthOffsets(sample);
  const at = offsets[Math.floor(random() * offsets.length)]!;
  const lengths = [
    [0x84, 0xff, 0xff, 0xff, 0xff],
    [0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    [0x80],
    [0xff],
    [0x84, 0x7f, 0xff, 0xff, 0xff],
  ];
  const replacement = Buffer.from(lengths[Math.floor(random() * lengths.length)]!);
  const oldLengthSize = sample[at]! < 0x80 ? 1 : 1 + (sample[at]! & 0x7f);
  return Buffer.concat([sample.subarray(0, at), replacement, sample.subarray(at + oldLengthSize)]);
}

type Kind = "random bytes" | "truncated" | "huge length" | "mutated";

function fuzzCase(index: number, random: () => number): { kind: Kind; body: Buffer } {
  const sample = samples[index % samples.length]!;
  const kinds: Kind[] = ["random bytes", "truncated", "huge length", "mutated", "mutated"];
  const kind = kinds[Math.floor(random() * kinds.length)]!;
  if (kind === "random bytes")
    return {
      kind,
      body: Buffer.from(Array.from({ length: Math.floor(random() * 400) }, () => Math.floor(random() * 256))),
    };
  if (kind === "truncated") return { kind, body: sample.subarray(0, Math.floor(random() * sample.length)) };
  if (kind === "huge length") return { kind, body: hugeLength(sample, random) };
  return { kind, body: mutate(sample, random) };
}

test(`the TSA answers ${ITERATIONS} malformed and mutated requests over HTTP: no crash, hang or 5xx, the right status, memory flat`, async (t) => {
  const random = seededRandom(3161);
  const outcomes = new Map<string, number>();
  const granted: Buffer[] = [];
  const rejectedSamples = new Map<string, Buffer>();
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);
  process.on("warning", onWarning);

  const run = async (from: number, to: number) => {
    let next = from;
    const worker = async () => {
      while (next < to) {
        const { kind, body } = fuzzCase(next++, random);
        const response = await tsa.post(body);
        assert.equal(response.status, 200, `${kind}: HTTP ${response.status}`);
        assert.equal(response.contentType, "application/timestamp-reply");
        const answer = parseTimeStampResponse(response.body);
        const outcome = answer.status === "granted" ? "granted" : answer.failures.join("+");
        outcomes.set(`${kind}: ${outcome}`, (outcomes.get(`${kind}: ${outcome}`) ?? 0) + 1);
        if (kind === "mutated") {
          assert.ok(
            outcome === "granted" || REQUEST_FAULTS.includes(outcome as TimeStampFailure),
            `mutated request answered ${outcome}: ${body.toString("hex")}`,
          );
          if (outcome === "granted" && granted.length < OPENSSL_SAMPLES) granted.push(body, response.body);
          if (outcome !== "granted" && !rejectedSamples.has(outcome))
            rejectedSamples.set(outcome, response.body);
        } else {
          assert.equal(outcome, "badRequest", `${kind} answered ${outcome}: ${body.toString("hex")}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };

  const warmup = Math.min(500, Math.floor(ITERATIONS / 10));
  await run(0, warmup);
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  await run(warmup, ITERATIONS);
  collectGarbage();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  process.off("warning", onWarning);

  t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
  t.diagnostic(
    `heap growth after ${ITERATIONS - warmup} requests: ${(heapGrowth / 1024 / 1024).toFixed(2)} MiB`,
  );
  assert.deepEqual(warnings, [], "no request was a fault of ours (systemFailure)");
  assert.ok(heapGrowth < 16 * 1024 * 1024, `heap grew by ${heapGrowth} bytes`);

  // openssl agrees: mutated requests we granted verify against themselves; rejections read as rejections.
  for (let index = 0; index < granted.length; index += 2) {
    const queryPath = join(tsa.work, `granted-${index}.tsq`);
    writeFileSync(queryPath, granted[index]!);
    const verified = tsa.verify(granted[index + 1]!, queryPath);
    assert.equal(verified.status, 0, `${granted[index]!.toString("hex")}: ${verified.output}`);
  }
  for (const [outcome, response] of rejectedSamples) {
    assert.match(tsa.replyText(response), /^Status: Rejected\.$/m, outcome);
  }
  const grantedCount = [...outcomes]
    .filter(([key]) => key.endsWith(": granted"))
    .reduce((sum, [, count]) => sum + count, 0);
  const recorded = await tsa.ca.store.db
    .selectFrom("tsa_tokens")
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  assert.equal(Number(recorded.n), grantedCount, "every granted token, and only those, is recorded");
});
