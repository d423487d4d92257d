// Seeded mutation fuzzing of the OCSP and CRL parsers: whatever the bytes, they return or throw
// an InputError (the responder's malformedRequest), never another error, never hang.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { localSigningKey } from "./algorithms.ts";
import { parseCertificate, subjectKeyIdentifierOf } from "./certificateInfo.ts";
import { buildCrl, parseCrl } from "./crl.ts";
import { InputError } from "./errors.ts";
import {
  buildBasicOcspResponse,
  buildSingleResponse,
  parseOcspRequest,
  parseOcspResponse,
  responderKeyHash,
} from "./ocsp.ts";
import { type IssuedCertificate, OpensslCa } from "./test-support/openssl-ca.ts";
import { seededRandom } from "./test-support/fuzz.ts";

let ca: OpensslCa;
let leaves: IssuedCertificate[];
const requests: Buffer[] = [];
const responses: Buffer[] = [];
const crls: Buffer[] = [];

before(async () => {
  ca = new OpensslCa();
  leaves = ["one", "two"].map((name) => ca.issue(name));
  const variants = [[], ["-no_nonce"], ["-sha256"], ["-sha512", "-no_nonce"]];
  variants.forEach((flags, index) => {
    const certificates = leaves.slice(0, 1 + (index % 2)).flatMap((leaf) => ["-cert", leaf.path]);
    ca.openssl(["ocsp", "-issuer", "ca.pem", ...flags, ...certificates, "-reqout", `fuzz-${index}.req`]);
    requests.push(readFileSync(ca.path(`fuzz-${index}.req`)));
  });
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const later = new Date(now.getTime() + 3600_000);
  for (const request of requests.map(parseOcspRequest)) {
    const statuses = [{ kind: "good" }, { kind: "revoked", revokedAt: now, reason: "superseded" }] as const;
    responses.push(
      await buildBasicOcspResponse(
        {
          responderKeyHash: responderKeyHash(ca.der),
          producedAt: now,
          singleResponses: request.requests.map(({ certId }, index) =>
            buildSingleResponse(certId, statuses[index % 2]!, now, later),
          ),
          ...(request.nonce ? { nonce: request.nonce } : {}),
          certificates: [leaves[0]!.der],
        },
        localSigningKey(ca.key),
      ),
    );
  }
  const caInfo = parseCertificate(ca.der);
  crls.push(
    await buildCrl(
      {
        issuerName: caInfo.subjectName,
        authorityKeyIdentifier: subjectKeyIdentifierOf(caInfo),
        crlNumber: 3n,
        thisUpdate: now,
        nextUpdate: later,
        freshestCrlUrls: ["http://crl.example.kz/d.crl"],
      },
      localSigningKey(ca.key),
      leaves.map((leaf, index) => ({
        serial: leaf.serial,
        revokedAt: now,
        ...(index === 0 ? { reason: "keyCompromise" as const, invalidityDate: now } : {}),
      })),
    ),
  );
});
after(() => ca.dispose());

const LENGTH_BYTES = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85, 0xff];

function mutate(input: Buffer, next: () => number): Buffer {
  const pick = (limit: number) => Math.floor(next() * limit);
  const bytes = Buffer.from(input);
  switch (pick(7)) {
    case 0: // flip a few bits
      for (let flips = 1 + pick(8); flips > 0; flips--) bytes[pick(bytes.length)]! ^= 1 << pick(8);
      return bytes;
    case 1: // truncate
      return bytes.subarray(0, pick(bytes.length));
    case 2: // a length-like byte somewhere
      bytes[pick(bytes.length)] = LENGTH_BYTES[pick(LENGTH_BYTES.length)]!;
      return bytes;
    case 3: {
      // insert random bytes
      const at = pick(bytes.length);
      const inserted = Buffer.from(Array.from({ length: 1 + pick(6) }, () => pick(256)));
      return Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]);
    }
    case 4: {
      // delete a range
      const at = pick(bytes.length);
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + pick(16))]);
    }
    case 5: {
      // duplicate a slice in place
      const at = pick(bytes.length);
      return Buffer.concat([
        bytes.subarray(0, at),
        bytes.subarray(at, at + 1 + pick(40)),
        bytes.subarray(at),
      ]);
    }
    default: // noise that starts like a SEQUENCE
      return Buffer.from([0x30, ...Array.from({ length: pick(120) }, () => pick(256))]);
  }
}

function fuzz(
  name: string,
  corpus: Buffer[],
  count: number,
  seed: number,
  parse: (der: Buffer) => void,
): string {
  const next = seededRandom(seed);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < count; i++) {
    const input = mutate(corpus[i % corpus.length]!, next);
    try {
      parse(input);
      accepted++;
    } catch (error) {
      if (!(error instanceof InputError)) {
        assert.fail(`${name} #${i} threw ${String(error)} for ${input.toString("hex")}`);
      }
      assert.ok(error.message.length > 0);
      refused++;
    }
  }
  // the mutations must exercise both outcomes, or the fuzzing proves nothing
  const summary = `${name}: ${accepted} accepted, ${refused} refused`;
  assert.ok(accepted > count / 50 && refused > count / 2, summary);
  return summary;
}

test("parseOcspRequest on 4,000 mutated requests: a result or an InputError", { timeout: 30_000 }, (t) => {
  for (const request of requests) parseOcspRequest(request);
  t.diagnostic(fuzz("request", requests, 4000, 0x5eed, parseOcspRequest));
});

test("parseOcspResponse on 2,000 mutated responses: a result or an InputError", { timeout: 30_000 }, (t) => {
  t.diagnostic(fuzz("response", responses, 2000, 0xbeef, parseOcspResponse));
});

test(
  "parseCrl and its entries on 2,000 mutated CRLs: a result or an InputError",
  { timeout: 30_000 },
  (t) => {
    const summary = fuzz("crl", crls, 2000, 0xc0de, (der) => {
      const crl = parseCrl(der);
      for (const entry of crl.entries()) crl.findEntry(entry.serial);
      crl.findEntry(Buffer.from([1]));
    });
    t.diagnostic(summary);
  },
);
