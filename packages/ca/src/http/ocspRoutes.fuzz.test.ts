// Seeded fuzzing of the OCSP responder over HTTP: random bytes, truncated, bit-flipped and
// re-lengthed real requests by POST and GET. Each gets the right OCSP status in a 200 (or a 413
// when too large) — never a 5xx, a hang or a crash — and the server's memory stays flat.
// QOLTANBA_FUZZ_ITERATIONS=200000 for a longer run.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  certIdMatches,
  InputError,
  issuerHashes,
  makeIin,
  parseOcspRequest,
  parseOcspResponse,
  toPem,
  verifyOcspResponse,
  type HashName,
  type OcspRequest,
} from "@qoltanba/pki";
import { seededRandom } from "../../../pki/src/test-support/fuzz.ts";
import { openCertificateAuthority, type CertificateAuthority } from "../authority.ts";
import { initCertificateAuthority } from "../init.ts";
import { CertificateIssuer } from "../issuance.ts";
import { revokeCertificate } from "../revocation.ts";
import { openssl, opensslCsr, temporaryDirectory, TEST_PASSWORD } from "../testSupport.ts";
import { DEFAULT_MAX_OCSP_REQUEST_BYTES } from "./ocspRoutes.ts";
import { createCaServer, type CaServer } from "./server.ts";

const ITERATIONS = Number(process.env.QOLTANBA_FUZZ_ITERATIONS ?? 10_000);
const SEED = Number(process.env.QOLTANBA_FUZZ_SEED ?? 0x0c5b);
const CONCURRENCY = 16;
const REQUEST_TIMEOUT_MILLISECONDS = 10_000;
const MAX_GET_BYTES = 2048; // longer requests go by POST: the URL would pass Node's header limit
const RSS_GROWTH_LIMIT = 64 * 2 ** 20;
const LIVE_HEAP_GROWTH_LIMIT = 16 * 2 ** 20;

// RSS moves with the allocator; what is still reachable after a full collection is what leaks.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;
const liveHeap = () => {
  collectGarbage();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};
const mebibytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

let ca: CertificateAuthority;
let server: CaServer;
let port: number;
const corpus: Buffer[] = [];

before(async () => {
  const work = temporaryDirectory("qoltanba-ocsp-fuzz-");
  const dir = join(work, "ca");
  await initCertificateAuthority({ dir, password: TEST_PASSWORD });
  ca = await openCertificateAuthority(dir, { password: TEST_PASSWORD });
  const issuer = new CertificateIssuer(ca);
  const subject = { iin: makeIin(new Date(Date.UTC(1993, 8, 1)), "male", 3)!, surname: "ТЕСТОВ", givenName: "ФАЗЗ" };
  const leaves: string[] = [];
  for (let index = 0; index < 3; index++) {
    const { certificate, serial } = await issuer.issueCertificate({ csr: opensslCsr(work, `leaf${index}`).csr, profile: "individual-sign", subject });
    leaves.push(join(work, `leaf${index}.pem`));
    writeFileSync(leaves[index]!, toPem("CERTIFICATE", certificate));
    if (index === 1) await revokeCertificate(ca, { serial, reason: "keyCompromise" });
  }
  const issuing = join(work, "issuing.pem");
  writeFileSync(issuing, toPem("CERTIFICATE", ca.certificates.issuing));
  const variants = [
    ["-no_nonce", "-cert", leaves[0]!],
    ["-no_nonce", "-sha256", "-cert", leaves[1]!],
    ["-nonce", "-cert", leaves[2]!],
    ["-nonce", "-sha256", "-cert", leaves[0]!, "-cert", leaves[1]!, "-cert", leaves[2]!],
    ["-no_nonce", "-serial", "0x0badc0de"],
  ];
  variants.forEach((flags, index) => {
    openssl(["ocsp", "-issuer", issuing, ...flags, "-reqout", join(work, `${index}.req`)]);
    corpus.push(readFileSync(join(work, `${index}.req`)));
  });
  server = await createCaServer(ca, {});
  await server.app.listen({ host: "127.0.0.1", port: 0 });
  port = (server.app.server.address() as { port: number }).port;
});

after(async () => {
  await server.close();
  await ca.close();
});

type Expected = "malformedRequest" | "unauthorized" | "successful" | "tooLarge";
interface Case {
  readonly kind: string;
  readonly body: Buffer;
  readonly expected: Expected;
}

/** Where each TLV's length octets start in a DER value, walking into constructed ones. */
function lengthOffsets(der: Buffer, start = 0, end = der.length, found: number[] = []): number[] {
  for (let at = start; at + 2 <= end; ) {
    const tag = der[at]!;
    const first = der[at + 1]!;
    const lengthBytes = first < 0x80 ? 0 : first & 0x7f;
    const length = first < 0x80 ? first : der.readUIntBE(at + 2, lengthBytes);
    const content = at + 2 + lengthBytes;
    found.push(at + 1);
    if (tag & 0x20) lengthOffsets(der, content, content + length, found);
    at = content + length;
  }
  return found;
}

const HUGE_LENGTHS = [
  [0x84, 0xff, 0xff, 0xff, 0xff],
  [0x88, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0],
  [0x83, 0x10, 0x00, 0x00],
  [0x80], // indefinite: BER, not DER
  [0xff],
];

/** What the responder must answer to a request our own parser reads (or refuses). */
function expectationOf(body: Buffer): Expected {
  let request: OcspRequest;
  try {
    request = parseOcspRequest(body);
  } catch (error) {
    assert.ok(error instanceof InputError, `the parser threw ${String(error)}`);
    return "malformedRequest";
  }
  const ours = request.requests.every(({ certId }) => certIdMatches(certId, issuerHashes(ca.certificates.issuing, certId.hashAlgorithm as HashName)));
  return ours ? "successful" : "unauthorized";
}

function makeCase(index: number, next: () => number): Case {
  const pick = (limit: number) => Math.floor(next() * limit);
  const base = corpus[pick(corpus.length)]!;
  if (index % 997 === 996) return { kind: "too large", body: Buffer.alloc(DEFAULT_MAX_OCSP_REQUEST_BYTES + 1 + pick(4096), 0x30), expected: "tooLarge" };
  switch (pick(6)) {
    case 0:
      return { kind: "random bytes", body: Buffer.from(Array.from({ length: pick(600) }, () => pick(256))), expected: "malformedRequest" };
    case 1:
      return { kind: "truncated", body: base.subarray(0, pick(base.length)), expected: "malformedRequest" };
    case 2: {
      const offsets = lengthOffsets(base);
      const at = offsets[pick(offsets.length)]!;
      const first = base[at]!;
      const end = at + 1 + (first < 0x80 ? 0 : first & 0x7f);
      const body = Buffer.concat([base.subarray(0, at), Buffer.from(HUGE_LENGTHS[pick(HUGE_LENGTHS.length)]!), base.subarray(end)]);
      return { kind: "huge length", body, expected: "malformedRequest" };
    }
    case 3: {
      const at = pick(base.length + 1);
      const inserted = Buffer.from(Array.from({ length: 1 + pick(8) }, () => pick(256)));
      return { kind: "inserted bytes", body: Buffer.concat([base.subarray(0, at), inserted, base.subarray(at)]), expected: "malformedRequest" };
    }
    case 4: {
      const depth = 1 + pick(1600); // stays under the size limit
      const nested = Buffer.concat([...Array.from({ length: depth }, () => Buffer.from([0x30, 0x84, 0, 0, 0x10, 0])), base]);
      return { kind: "deep nesting", body: nested, expected: "malformedRequest" };
    }
    default: {
      const body = Buffer.from(base);
      for (let flips = 1 + pick(4); flips > 0; flips--) body[pick(body.length)]! ^= 1 << pick(8);
      return { kind: "bit flips", body, expected: expectationOf(body) };
    }
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(body: Buffer, method: "GET" | "POST"): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const path = method === "GET" ? `/ocsp/${encodeURIComponent(body.toString("base64"))}` : "/ocsp";
    const headers = method === "POST" ? { "content-type": "application/ocsp-request", "content-length": body.length } : {};
    const request = httpRequest({ host: "127.0.0.1", port, method, path, agent, headers, timeout: REQUEST_TIMEOUT_MILLISECONDS }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks) }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MILLISECONDS} ms: the server hangs`)));
    request.on("error", reject);
    request.end(method === "POST" ? body : undefined);
  });
}

test(`the OCSP responder over HTTP on ${ITERATIONS} mutated requests: the right status, never a 5xx or a hang, memory flat`, { timeout: 60_000 + ITERATIONS * 20 }, async (t) => {
  const responderKey = createPublicKey(new X509Certificate(ca.certificates.ocsp).publicKey.export({ type: "spki", format: "pem" }));
  for (const body of corpus) assert.equal(parseOcspResponse((await send(body, "POST")).body).status, "successful", "the unmutated requests succeed");

  const next = seededRandom(SEED);
  const tally = new Map<string, number>();
  let issued = 0;
  let heapAfterWarmUp = 0;
  let rssAfterWarmUp = 0;
  let rssMax = 0;
  const warmUp = Math.floor(ITERATIONS / 10);

  const check = async (index: number, { kind, body, expected }: Case) => {
    const method = body.length <= MAX_GET_BYTES && index % 2 === 0 ? "GET" : "POST";
    const label = `#${index} ${kind} by ${method} (seed ${SEED}): ${body.toString("hex").slice(0, 400)}`;
    const reply = await send(body, method);
    if (expected === "tooLarge") {
      assert.equal(reply.status, 413, label);
    } else {
      assert.equal(reply.status, 200, label);
      const response = parseOcspResponse(reply.body);
      assert.equal(response.status, expected, label);
      if (response.status === "successful") {
        const request = parseOcspRequest(body);
        assert.ok(verifyOcspResponse(response, responderKey), `${label}: signed by the responder`);
        assert.deepEqual(response.responses.map(({ certId }) => certId.serial), request.requests.map(({ certId }) => certId.serial), label);
        assert.deepEqual(response.nonce, request.nonce, `${label}: the nonce is echoed`);
      }
    }
    const key = `${kind} → ${expected}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  };

  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (issued < ITERATIONS) {
        const index = issued++;
        await check(index, makeCase(index, next));
        if (index === warmUp) [heapAfterWarmUp, rssAfterWarmUp] = [liveHeap(), process.memoryUsage.rss()];
        if (index > warmUp && index % 100 === 0) rssMax = Math.max(rssMax, process.memoryUsage.rss());
      }
    }),
  );
  agent.destroy();
  const heapGrowth = liveHeap() - heapAfterWarmUp;
  t.diagnostic([...tally].sort().map(([key, count]) => `${key}: ${count}`).join("; "));
  t.diagnostic(`live heap grew ${mebibytes(heapGrowth)} after the warm-up; RSS ${mebibytes(rssAfterWarmUp)} then at most ${mebibytes(rssMax)}`);
  assert.ok(heapGrowth < LIVE_HEAP_GROWTH_LIMIT, `live heap grew by ${mebibytes(heapGrowth)}`);
  assert.ok(rssMax - rssAfterWarmUp < RSS_GROWTH_LIMIT, `RSS grew by ${mebibytes(rssMax - rssAfterWarmUp)}`);
  for (const outcome of ["bit flips → successful", "bit flips → malformedRequest", "bit flips → unauthorized"]) {
    assert.ok((tally.get(outcome) ?? 0) > 0, `the mutations reach ${outcome}`);
  }
});
