import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeIin, parseOcspResponse, toPem, type BasicOcspResponse } from "@qoltanba/pki";
import { openCertificateAuthority, type CertificateAuthority } from "../authority.ts";
import { initCertificateAuthority } from "../init.ts";
import { CertificateIssuer } from "../issuance.ts";
import { revokeCertificate } from "../revocation.ts";
import type { RevocationState } from "../storage/certificateStore.ts";
import { openssl, opensslCsr, opensslResult, temporaryDirectory, testDatabases, TEST_PASSWORD } from "../testSupport.ts";
import { INTERNAL_ERROR, MALFORMED_REQUEST, OcspResponder, TRY_LATER, UNAUTHORIZED, type CertificateStates, type OcspAnswer, type OcspResponderOptions } from "./ocspResponder.ts";

const bodyOf = (answer: OcspAnswer) => Buffer.concat(answer.body);
/** A cache hit is answered synchronously. */
const cachedAnswer = (answer: OcspAnswer | Promise<OcspAnswer>) => {
  assert.ok(!(answer instanceof Promise), "answered from the cache");
  return answer;
};
const basic = (answer: OcspAnswer) => {
  const parsed = parseOcspResponse(bodyOf(answer));
  assert.equal(parsed.status, "successful");
  return parsed as BasicOcspResponse;
};

/** A CA with three issued certificates, their PEM files for openssl, and a responder over its store. */
async function makeCa(databaseUrl: string | undefined) {
  const work = temporaryDirectory("qoltanba-ocsp-");
  const dir = join(work, "ca");
  await initCertificateAuthority({ dir, password: TEST_PASSWORD, ...(databaseUrl ? { databaseUrl } : {}) });
  const ca = await openCertificateAuthority(dir, { password: TEST_PASSWORD });
  const issuer = new CertificateIssuer(ca);
  const subject = { iin: makeIin(new Date(Date.UTC(1988, 4, 17)), "male", 7)!, surname: "ЖҰМАБЕКОВ", givenName: "ЕРЛАН" };
  const leaves: Array<{ serial: string; path: string }> = [];
  for (let index = 0; index < 3; index++) {
    const { certificate, serial } = await issuer.issueCertificate({ csr: opensslCsr(work, `leaf${index}`).csr, profile: "individual-sign", subject });
    const path = join(work, `leaf${index}.pem`);
    writeFileSync(path, toPem("CERTIFICATE", certificate));
    leaves.push({ serial, path });
  }
  for (const name of ["root", "issuing", "ocsp"] as const) writeFileSync(join(work, `${name}.pem`), toPem("CERTIFICATE", ca.certificates[name]));
  return { work, ca, leaves };
}

function responderFor(ca: CertificateAuthority, options: OcspResponderOptions = {}, states: CertificateStates = ca.store) {
  return new OcspResponder({ issuerCertificate: ca.certificates.issuing, responderCertificate: ca.certificates.ocsp, signingKey: ca.signer!.key("ocsp"), states }, options);
}

/** An OCSP request made by `openssl ocsp` (flags such as -no_nonce or -sha256 come before the certificates). */
function opensslRequest(work: string, name: string, flags: string[], targets: string[]): Buffer {
  const path = join(work, `${name}.req`);
  openssl(["ocsp", "-issuer", join(work, "issuing.pem"), ...flags, ...targets, "-reqout", path]);
  return readFileSync(path);
}

function opensslOutput(args: string[]): string {
  const result = spawnSync("openssl", args, { encoding: "utf8" });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  return result.stdout + result.stderr;
}

/**
 * openssl's verdict on our response to its request: signed by the delegated responder, the nonce
 * echoed (checked against the request file), then each certificate's status.
 */
function opensslReads(work: string, name: string, answer: OcspAnswer, targets: string[]): string {
  const path = join(work, `${name}.resp`);
  writeFileSync(path, bodyOf(answer));
  const [issuer, responder] = [join(work, "issuing.pem"), join(work, "ocsp.pem")];
  const verified = opensslOutput(["ocsp", "-respin", path, "-reqin", join(work, `${name}.req`), "-VAfile", responder]);
  assert.match(verified, /Response verify OK/);
  assert.doesNotMatch(verified, /WARNING: no nonce in response/);
  // With -cert openssl makes a request of its own (and a nonce of its own): hence -no_nonce here.
  return opensslOutput(["ocsp", "-respin", path, "-issuer", issuer, "-no_nonce", ...targets, "-VAfile", responder]);
}

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`OCSP responder on ${database.engine}`, () => {
    let work: string;
    let ca: CertificateAuthority;
    let leaves: Array<{ serial: string; path: string }>;

    before(async () => {
      ({ work, ca, leaves } = await makeCa(database.url));
    });
    after(async () => {
      await ca.close();
      await database.drop();
    });

    test("good, revoked with time and reason, released hold and unknown, for SHA-1 and SHA-256 CertIDs, as openssl reads them", async () => {
      const responder = responderFor(ca);
      const [good, revoked, released] = leaves as [(typeof leaves)[0], (typeof leaves)[0], (typeof leaves)[0]];
      const revokedAt = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
      await revokeCertificate(ca, { serial: revoked.serial, reason: "keyCompromise", at: revokedAt });
      await revokeCertificate(ca, { serial: released.serial, reason: "certificateHold" });
      await revokeCertificate(ca, { serial: released.serial, reason: "removeFromCRL" });
      const cases: Array<[string, string[], RegExp]> = [
        ["good", ["-cert", good.path], /: good/],
        ["revoked", ["-cert", revoked.path], /: revoked\s+This Update: .*\s+Next Update: .*\s+Reason: keyCompromise\s+Revocation Time: Jan {2}2 03:04:05 2025 GMT/],
        ["released", ["-cert", released.path], /: good/],
        ["unknown", ["-serial", "0x0123456789abcdef"], /0x0123456789abcdef: unknown/],
      ];
      for (const hash of ["-sha1", "-sha256"]) {
        for (const [name, targets, expected] of cases) {
          const request = opensslRequest(work, `${name}${hash}`, ["-no_nonce", hash], targets);
          const answer = await responder.respond(request);
          assert.match(opensslReads(work, `${name}${hash}`, answer, [hash, ...targets]), expected, `${name} ${hash}`);
          assert.ok(answer.caching, "a single request without a nonce gets a pre-signed, cacheable response");
          const response = basic(answer);
          assert.equal(response.responses[0]!.certId.hashAlgorithm, hash.slice(1));
          assert.deepEqual(response.certificates, [ca.certificates.ocsp], "the delegated responder's certificate is included");
          assert.equal(response.responses[0]!.nextUpdate!.getTime() - response.responses[0]!.thisUpdate.getTime(), 24 * 3600_000);
        }
      }
      await responder.stop();
    });

    test("a revocation seen by the watcher replaces the pre-signed response before the next request", async () => {
      const responder = responderFor(ca);
      const target = leaves[0]!;
      const request = opensslRequest(work, "watched", ["-no_nonce"], ["-cert", target.path]);
      assert.equal((await responder.respond(request)).status, "successful");
      assert.ok(!((responder.respond(request)) instanceof Promise), "the second request is a cache hit");
      await revokeCertificate(ca, { serial: target.serial, reason: "superseded" });
      const signatures = responder.counters.signatures;
      responder.revocationsChanged([target.serial]);
      await responder.whenIdle();
      assert.equal(responder.counters.signatures, signatures + 2, "SHA-1 and SHA-256 responses were signed ahead");
      const answer = responder.respond(request);
      assert.ok(!(answer instanceof Promise), "the revoked status is already pre-signed");
      assert.match(opensslReads(work, "watched", answer, ["-cert", target.path]), /: revoked[\s\S]*Reason: superseded/);
      const sha256 = opensslRequest(work, "watched256", ["-no_nonce", "-sha256"], ["-cert", target.path]);
      assert.ok(!(responder.respond(sha256) instanceof Promise));
      assert.equal(responder.counters.signatures, signatures + 2, "the hot path signed nothing");
      await responder.stop();
    });
  });
}

describe("OCSP responder: cache, on-demand signatures and errors", () => {
  let work: string;
  let ca: CertificateAuthority;
  let leaves: Array<{ serial: string; path: string }>;

  before(async () => {
    ({ work, ca, leaves } = await makeCa(undefined));
  });
  after(() => ca.close());

  test("a nonce or several certificates get a response signed on demand that echoes the nonce", async () => {
    const responder = responderFor(ca);
    const targets = leaves.flatMap((leaf) => ["-cert", leaf.path]);
    for (const [name, flags, targetList] of [
      ["nonce", ["-nonce"], ["-cert", leaves[0]!.path]],
      ["several", ["-no_nonce"], targets],
      ["several-nonce", ["-nonce"], ["-sha256", ...targets]],
    ] as const) {
      const request = opensslRequest(work, name, [...flags], [...targetList]);
      const before = responder.counters.signatures;
      const answer = await responder.respond(request);
      const output = opensslReads(work, name, answer, [...targetList]);
      assert.doesNotMatch(output, /WARNING: no nonce/, name);
      assert.equal((output.match(/: good/g) ?? []).length, targetList.filter((flag) => flag === "-cert").length, name);
      assert.equal(answer.caching, undefined, `${name}: not cacheable`);
      await responder.respond(request);
      assert.equal(responder.counters.signatures, before + 2, `${name}: signed each time`);
    }
    await responder.stop();
  });

  test("another issuer is unauthorized, garbage is malformedRequest", async () => {
    const responder = responderFor(ca);
    openssl(["ocsp", "-issuer", join(work, "root.pem"), "-no_nonce", "-cert", join(work, "issuing.pem"), "-reqout", join(work, "root.req")]);
    assert.equal(responder.respond(readFileSync(join(work, "root.req"))), UNAUTHORIZED, "the root's certificates are not ours to answer for");
    const request = opensslRequest(work, "truncated", ["-no_nonce"], ["-cert", leaves[0]!.path]);
    assert.equal(responder.respond(request.subarray(0, request.length - 1)), MALFORMED_REQUEST);
    assert.equal(responder.respond(Buffer.from("not an OCSP request")), MALFORMED_REQUEST);
    assert.equal(responder.respond(Buffer.alloc(0)), MALFORMED_REQUEST);
    const errorReply = opensslResult(["ocsp", "-respin", writeAnswer(work, "unauthorized", UNAUTHORIZED), "-resp_text", "-noverify"]);
    assert.match(errorReply.output, /unauthorized \(6\)/);
    await responder.stop();
  });

  test("pre-signed responses are re-signed in the background at half their validity, and expire unused", async () => {
    let now = Date.now();
    const clocked = responderFor(ca, { validitySeconds: 3600, clock: () => now });
    const request = opensslRequest(work, "aging", ["-no_nonce"], ["-cert", leaves[1]!.path]);
    const first = await clocked.respond(request);
    const firstUpdate = basic(first).responses[0]!.thisUpdate.getTime();
    now += 1799_000;
    assert.deepEqual(bodyOf(cachedAnswer(clocked.respond(request))), bodyOf(first), "before half-life: the same response");
    assert.equal(clocked.counters.signatures, 1);
    now += 2000;
    assert.deepEqual(bodyOf(cachedAnswer(clocked.respond(request))), bodyOf(first), "past half-life the old response is still served at once…");
    await clocked.whenIdle();
    assert.equal(clocked.counters.signatures, 2, "…while a new one is signed in the background");
    const renewed = clocked.respond(request);
    assert.ok(!(renewed instanceof Promise));
    assert.ok(basic(renewed).responses[0]!.thisUpdate.getTime() >= firstUpdate + 1800_000);
    now += 3601_000;
    const expired = clocked.respond(request);
    assert.ok(expired instanceof Promise, "an expired response is never served");
    assert.ok(basic(await expired).responses[0]!.nextUpdate!.getTime() > now);
    await clocked.stop();
  });

  test("the cache keeps at most its size, dropping one not used since the others were", async () => {
    const responder = responderFor(ca, { cacheEntries: 2 });
    const requests = leaves.map((leaf, index) => opensslRequest(work, `lru${index}`, ["-no_nonce"], ["-cert", leaf.path]));
    await responder.respond(requests[0]!);
    await responder.respond(requests[1]!);
    responder.respond(requests[0]!); // now the most recently used
    await responder.respond(requests[2]!);
    assert.ok(!(responder.respond(requests[0]!) instanceof Promise));
    assert.ok(!(responder.respond(requests[2]!) instanceof Promise));
    assert.ok(responder.respond(requests[1]!) instanceof Promise, "the one not used again was dropped");
    await responder.stop();
  });

  test("a revocation overtaking a signature under way: the stale answer is not cached", async () => {
    const target = leaves[2]!;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const slowFirst: CertificateStates = {
      async revocationStates(serials) {
        const states = await ca.store.revocationStates(serials);
        if (calls++ === 0) await gate;
        return states;
      },
    };
    const responder = responderFor(ca, {}, slowFirst);
    const request = opensslRequest(work, "overtaken", ["-no_nonce"], ["-cert", target.path]);
    const pending = responder.respond(request);
    assert.ok(pending instanceof Promise);
    await revokeCertificate(ca, { serial: target.serial, reason: "affiliationChanged" });
    responder.revocationsChanged([target.serial]);
    release();
    assert.match(opensslReads(work, "overtaken", await pending, ["-cert", target.path]), /: good/, "asked before the revocation was known");
    await responder.whenIdle();
    assert.match(opensslReads(work, "overtaken", await responder.respond(request), ["-cert", target.path]), /: revoked[\s\S]*affiliationChanged/);
    await responder.stop();
  });

  test("too many signatures waiting: tryLater; a failing store: internalError", async () => {
    const never: CertificateStates = { revocationStates: () => new Promise<Map<string, RevocationState>>(() => undefined) };
    const busy = responderFor(ca, { maxPendingSignatures: 1 }, never);
    const [one, two] = leaves.map((leaf, index) => opensslRequest(work, `busy${index}`, ["-no_nonce"], ["-cert", leaf.path]));
    const waiting = busy.respond(one!);
    assert.ok(waiting instanceof Promise);
    assert.ok(busy.respond(one!) instanceof Promise, "the same request joins the signature under way");
    assert.equal(busy.respond(two!), TRY_LATER);

    const failing: CertificateStates = { revocationStates: () => Promise.reject(new Error("database is down")) };
    const broken = responderFor(ca, {}, failing);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on("warning", onWarning);
    assert.equal(await broken.respond(one!), INTERNAL_ERROR);
    assert.equal(await broken.respond(two!), INTERNAL_ERROR);
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", onWarning);
    assert.deepEqual(warnings, ["OCSP response failed: database is down"], "warned once, not once per request");
    await broken.stop();
  });
});

function writeAnswer(work: string, name: string, answer: OcspAnswer): string {
  const path = join(work, `${name}.resp`);
  writeFileSync(path, bodyOf(answer));
  return path;
}
