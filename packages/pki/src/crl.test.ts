import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { localSigningKey } from "./algorithms.ts";
import { parseCertificate, subjectKeyIdentifierOf } from "./certificateInfo.ts";
import {
  type CrlEntrySpool,
  type CrlParameters,
  type RevokedEntry,
  buildCrl,
  encodeRevokedEntry,
  parseCrl,
  verifyCrl,
  writeCrl,
} from "./crl.ts";
import { InputError } from "./errors.ts";
import { toPem } from "./pem.ts";
import { parseRevocationReason } from "./revocation.ts";
import { type IssuedCertificate, OpensslCa } from "./test-support/openssl-ca.ts";

let ca: OpensslCa;
let revokedLeaf: IssuedCertificate;
let supersededLeaf: IssuedCertificate;
let heldLeaf: IssuedCertificate;
let goodLeaf: IssuedCertificate;

before(() => {
  ca = new OpensslCa();
  revokedLeaf = ca.issue("revoked");
  supersededLeaf = ca.issue("superseded");
  heldLeaf = ca.issue("held");
  goodLeaf = ca.issue("good");
});
after(() => ca.dispose());

const HOUR = 3600_000;
const now = new Date(Math.floor(Date.now() / 1000) * 1000);

function parameters(overrides: Partial<CrlParameters> = {}): CrlParameters {
  const caInfo = parseCertificate(ca.der);
  return {
    issuerName: caInfo.subjectName,
    authorityKeyIdentifier: subjectKeyIdentifierOf(caInfo),
    crlNumber: 10n,
    thisUpdate: new Date(now.getTime() - HOUR),
    nextUpdate: new Date(now.getTime() + 24 * HOUR),
    ...overrides,
  };
}

/** The entries in pages of two, as a database hands them over. */
async function* fromArray(entries: RevokedEntry[]): AsyncGenerator<RevokedEntry[]> {
  for (let start = 0; start < entries.length; start += 2) yield entries.slice(start, start + 2);
}

/** Keeps the encoded entries in memory (the CA keeps them in a temporary file). */
function memorySpool(): CrlEntrySpool {
  const chunks: Buffer[] = [];
  return {
    write: async (chunk) => void chunks.push(chunk),
    async *replay() {
      yield* chunks;
    },
  };
}

async function streamedCrl(params: CrlParameters, entries: RevokedEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const result = await writeCrl(
    params,
    localSigningKey(ca.key),
    () => fromArray(entries),
    async (chunk) => {
      chunks.push(chunk);
    },
  );
  const der = Buffer.concat(chunks);
  assert.equal(result.byteLength, der.length);
  assert.equal(result.entryCount, entries.length);
  return der;
}

function verifyAgainstCa(crlFile: string): void {
  const result = ca.tryOpenssl(["crl", "-in", crlFile, "-CAfile", "ca.pem", "-noout", "-verify"]);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /verify OK/);
}

/** openssl verify -crl_check of a leaf against the CA and the CRL files given (`flags`: -use_deltas). */
const crlCheckByOpenssl = (leaf: IssuedCertificate, crlFiles: string[], ...flags: string[]) =>
  ca.tryOpenssl([
    "verify",
    "-crl_check",
    ...flags,
    "-CAfile",
    "ca.pem",
    ...crlFiles.flatMap((file) => ["-CRLfile", file]),
    leaf.path,
  ]);

test("a streamed full CRL verifies with openssl and revokes exactly the listed certificates", async () => {
  const invalidSince = new Date(now.getTime() - 72 * HOUR);
  const entries: RevokedEntry[] = [
    {
      serial: revokedLeaf.serial,
      revokedAt: new Date(now.getTime() - 2 * HOUR),
      reason: "keyCompromise",
      invalidityDate: invalidSince,
    },
    { serial: supersededLeaf.serial, revokedAt: new Date(now.getTime() - 3 * HOUR), reason: "superseded" },
    { serial: heldLeaf.serial, revokedAt: new Date(now.getTime() - 4 * HOUR) },
  ];
  const der = await streamedCrl(parameters(), entries);
  ca.write("full.pem", toPem("X509 CRL", der));
  verifyAgainstCa("full.pem");

  const text = ca.openssl(["crl", "-in", "full.pem", "-noout", "-text"]);
  assert.match(text, /X509v3 CRL Number: \n\s+10\n/);
  assert.match(text, /Key Compromise/);
  assert.match(text, /Superseded/);
  assert.match(text, /Invalidity Date: \n\s+\w+ +\d+ [\d:]+ \d{4} GMT/);
  assert.match(text, new RegExp(`Serial Number: ${revokedLeaf.serial.toString("hex").toUpperCase()}`));
  const keyId = parameters()
    .authorityKeyIdentifier.toString("hex")
    .toUpperCase()
    .replace(/(..)(?!$)/g, "$1:");
  assert.ok(text.includes(keyId), "the AKI is the CA's key id");

  for (const leaf of [revokedLeaf, supersededLeaf, heldLeaf]) {
    const result = crlCheckByOpenssl(leaf, ["full.pem"]);
    assert.notEqual(result.status, 0);
    assert.match(result.output, /certificate revoked/);
  }
  const good = crlCheckByOpenssl(goodLeaf, ["full.pem"]);
  assert.equal(good.status, 0, good.output);
  assert.match(good.output, /: OK/);
});

test("a delta CRL over a full CRL revokes with openssl -use_deltas, and not without it", async () => {
  const full = await streamedCrl(
    parameters({ crlNumber: 20n, freshestCrlUrls: ["http://crl.example.kz/delta.crl"] }),
    [{ serial: revokedLeaf.serial, revokedAt: new Date(now.getTime() - 5 * HOUR), reason: "keyCompromise" }],
  );
  const delta = await streamedCrl(parameters({ crlNumber: 21n, baseCrlNumber: 20n }), [
    { serial: heldLeaf.serial, revokedAt: new Date(now.getTime() - 10 * 60_000), reason: "certificateHold" },
  ]);
  ca.write("base.pem", toPem("X509 CRL", full));
  ca.write("delta.pem", toPem("X509 CRL", delta));
  verifyAgainstCa("delta.pem");
  const fullText = ca.openssl(["crl", "-in", "base.pem", "-noout", "-text"]);
  assert.match(fullText, /X509v3 Freshest CRL: \n\s+Full Name:\n\s+URI:http:\/\/crl.example.kz\/delta.crl/);
  const deltaText = ca.openssl(["crl", "-in", "delta.pem", "-noout", "-text"]);
  assert.match(deltaText, /X509v3 Delta CRL Indicator: critical\n\s+20\n/);
  assert.match(deltaText, /Certificate Hold/);

  const check = (leaf: IssuedCertificate, ...flags: string[]) =>
    crlCheckByOpenssl(leaf, ["base.pem", "delta.pem"], ...flags);
  const heldWithDeltas = check(heldLeaf, "-use_deltas");
  assert.notEqual(heldWithDeltas.status, 0);
  assert.match(heldWithDeltas.output, /certificate revoked/);
  assert.equal(check(heldLeaf).status, 0, "without -use_deltas only the full CRL counts");
  assert.match(check(revokedLeaf, "-use_deltas").output, /certificate revoked/);
  assert.equal(check(goodLeaf, "-use_deltas").status, 0);
});

test("writeCrl and buildCrl produce the same bytes, and parseCrl reads back every field", async () => {
  const entries: RevokedEntry[] = [
    {
      serial: Buffer.from("00ff01", "hex"),
      revokedAt: new Date("2031-02-03T04:05:06Z"),
      reason: "cACompromise",
    },
    {
      serial: Buffer.from("7f", "hex"),
      revokedAt: new Date("2055-12-31T23:59:59Z"),
      invalidityDate: new Date("2055-12-01T00:00:00Z"),
    },
    { serial: Buffer.alloc(20, 0x7a), revokedAt: new Date("1999-01-01T00:00:00Z"), reason: "aACompromise" },
  ];
  const params = parameters({ crlNumber: (1n << 150n) + 7n });
  const streamed = await streamedCrl(params, entries);
  const built = await buildCrl(params, localSigningKey(ca.key), entries);
  assert.deepEqual(streamed, built);
  let reads = 0;
  const readOnce = () => {
    reads++;
    return fromArray(entries);
  };
  const spooledChunks: Buffer[] = [];
  await writeCrl(params, localSigningKey(ca.key), readOnce, (chunk) => void spooledChunks.push(chunk), memorySpool());
  assert.deepEqual(Buffer.concat(spooledChunks), built, "through a spool: the same bytes");
  assert.equal(reads, 1, "through a spool the entries are read once");

  const crl = parseCrl(streamed);
  assert.equal(crl.crlNumber, params.crlNumber);
  assert.equal(crl.baseCrlNumber, undefined);
  assert.deepEqual(crl.issuerName, params.issuerName);
  assert.deepEqual(crl.authorityKeyIdentifier, params.authorityKeyIdentifier);
  assert.deepEqual(crl.thisUpdate, params.thisUpdate);
  assert.deepEqual(crl.nextUpdate, params.nextUpdate);
  assert.equal(crl.signatureAlgorithm, "1.2.840.113549.1.1.11");
  assert.deepEqual(
    [...crl.entries()],
    entries.map((entry) => ({
      ...entry,
      serial: entry.serial[0] === 0 ? entry.serial.subarray(1) : entry.serial,
    })),
  );
  assert.equal(
    crl.findEntry(Buffer.from("0000007f", "hex"))?.invalidityDate?.toISOString(),
    "2055-12-01T00:00:00.000Z",
  );
  assert.equal(crl.findEntry(Buffer.from("80", "hex")), undefined);

  ca.write("roundtrip.der", streamed);
  const text = ca.openssl(["crl", "-inform", "DER", "-in", "roundtrip.der", "-noout", "-text"]);
  assert.match(text, /Revocation Date: Dec 31 23:59:59 2055 GMT/);
  assert.match(text, /Revocation Date: Jan {2}1 00:00:00 1999 GMT/);
  assert.match(text, /CA Compromise/);
  assert.match(text, /AA Compromise/);
});

test("a CRL with no entries omits the list and verifies", async () => {
  const der = await streamedCrl(parameters(), []);
  ca.write("empty.der", der);
  const result = ca.tryOpenssl([
    "crl",
    "-inform",
    "DER",
    "-in",
    "empty.der",
    "-CAfile",
    "ca.pem",
    "-noout",
    "-verify",
    "-text",
  ]);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /No Revoked Certificates/);
  assert.deepEqual([...parseCrl(der).entries()], []);
});

test("an ECDSA key builds a small CRL with buildCrl; writeCrl needs RSA", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const key = localSigningKey(privateKey);
  const der = await buildCrl(parameters(), key, [{ serial: Buffer.from([1]), revokedAt: now }]);
  const crl = parseCrl(der);
  assert.equal(crl.signatureAlgorithm, "1.2.840.10045.4.3.2");
  assert.ok(verifyCrl(crl, publicKey));
  await assert.rejects(
    writeCrl(
      parameters(),
      key,
      () => fromArray([]),
      () => {},
    ),
    { code: "unsupported_key" },
  );
});

test("encodeRevokedEntry writes the reasonCode and invalidityDate extensions", () => {
  const entry = encodeRevokedEntry({
    serial: Buffer.from("80", "hex"),
    revokedAt: new Date("2030-01-02T03:04:05Z"),
    reason: "privilegeWithdrawn",
    invalidityDate: new Date("2029-12-31T00:00:00Z"),
  });
  ca.write("entry.der", entry);
  const dump = ca.openssl(["asn1parse", "-inform", "DER", "-in", "entry.der"]);
  assert.match(dump, /INTEGER +:80/);
  assert.match(dump, /UTCTIME +:300102030405Z/);
  assert.match(dump, /X509v3 CRL Reason Code/);
  assert.match(dump, /:Invalidity Date\n.*\[HEX DUMP\]:180F/);
  assert.match(dump, /\[HEX DUMP\]:0A0109\n/); // privilegeWithdrawn = 9
  const generalizedTime = Buffer.concat([Buffer.from([0x18, 15]), Buffer.from("20291231000000Z")]);
  assert.ok(dump.includes("[HEX DUMP]:" + generalizedTime.toString("hex").toUpperCase()), dump);
  assert.equal(
    encodeRevokedEntry({ serial: Buffer.from([5]), revokedAt: now, reason: "unspecified" }).length,
    2 + 3 + 15,
  );
});

test("bad CRL input is refused with InputErrors that name the problem", async () => {
  const key = localSigningKey(ca.key);
  const rejects = (params: CrlParameters, entries: RevokedEntry[], pattern: RegExp) =>
    assert.rejects(
      buildCrl(params, key, entries),
      (error) => error instanceof InputError && pattern.test(error.message),
    );
  const entry = { serial: Buffer.from([1]), revokedAt: now };
  await rejects(parameters(), [{ ...entry, reason: "removeFromCRL" }], /only allowed in a delta CRL/);
  await rejects(parameters(), [{ ...entry, serial: Buffer.alloc(0) }], /needs a serial number/);
  await rejects(parameters(), [{ ...entry, serial: Buffer.from([0, 0]) }], /must be positive/);
  await rejects(parameters(), [{ ...entry, serial: Buffer.alloc(20, 0x80) }], /longer than 20 octets/);
  await rejects(parameters(), [{ ...entry, revokedAt: new Date(NaN) }], /revokedAt is not a valid date/);
  await rejects(parameters(), [{ ...entry, reason: "bogus" as never }], /unknown revocation reason/);
  await rejects(parameters({ nextUpdate: new Date(0) }), [], /nextUpdate must be after thisUpdate/);
  await rejects(parameters({ baseCrlNumber: 10n }), [], /greater than its baseCrlNumber/);
  await rejects(
    parameters({ baseCrlNumber: 9n, freshestCrlUrls: ["http://x"] }),
    [],
    /must not appear in a delta/,
  );
  await rejects(parameters({ freshestCrlUrls: ["not a url"] }), [], /is not a URL/);
  await rejects(parameters({ issuerName: Buffer.from("0400", "hex") }), [], /must be a DER Name/);
  await rejects(parameters({ crlNumber: -1n }), [], /crlNumber must be a bigint/);

  let pass = 0;
  const changing = () => fromArray(pass++ === 0 ? [entry] : [entry, entry]);
  await assert.rejects(
    writeCrl(parameters(), key, changing, () => {}),
    { code: "crl_entries_changed" },
  );
  const losing = memorySpool();
  const replay = losing.replay.bind(losing);
  losing.replay = async function* () {
    for await (const chunk of replay()) yield chunk.subarray(1);
  };
  await assert.rejects(
    writeCrl(parameters(), key, () => fromArray([entry]), () => {}, losing),
    /the spool gave back 19 bytes of entries where 20 were written/,
  );

  assert.throws(() => parseCrl(Buffer.from("3003020101", "hex")), { code: "malformed_crl" });
  assert.throws(
    () => parseRevocationReason("stolen"),
    /valid reasons: unspecified, keyCompromise, cACompromise/,
  );
  assert.equal(parseRevocationReason("certificateHold"), "certificateHold");
});
