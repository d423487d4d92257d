// Test support for the PKCS#12 tests (not exported from the package): keys and certificates made by
// the openssl CLI in a temporary folder, and a BER re-encoder that gives a file the indefinite
// lengths and chunked OCTET STRINGs of the files NCA's software writes.
import { createHmac, randomBytes } from "node:crypto";
import {
  children,
  derNull,
  type Element,
  integer,
  octetString,
  oid,
  readSingle,
  sequence,
  tlv,
} from "./der.ts";
import { OID } from "./oids.ts";
import { bmpPassword, pkcs12Kdf, Pkcs12KeyPurpose } from "./pkcs12-kdf.ts";
import { OpensslCa, P256, RSA_2048 } from "./test-support/openssl-ca.ts";

/**
 * A CA (P-256) and under it an RSA-2048 and a P-256 end-entity certificate with a
 * SubjectKeyIdentifier, plus an RSA certificate without extensions. Files: ca.pem, rsa.key,
 * rsa.pem, ec.key, ec.pem, bare.pem (PEM).
 */
export function makeCertificates(): OpensslCa {
  const ca = new OpensslCa({
    subject: "/CN=Test CA",
    newKey: P256,
    extensions: [],
    days: 2,
    prefix: "qoltanba-pkcs12-",
  });
  const extensions = [
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid",
    "keyUsage=critical,digitalSignature",
  ];
  for (const [name, newKey] of [
    ["rsa", RSA_2048],
    ["ec", P256],
  ] as const) {
    ca.request(name, `/CN=Test ${name}`, newKey);
    ca.certify(name, { days: 1, extensions });
  }
  ca.write("bare.csr", ca.read("rsa.csr"));
  ca.certify("bare", { days: 1 });
  return ca;
}

export const LEGACY_NCA_OPTIONS = [
  "-legacy",
  "-keypbe",
  "PBE-SHA1-3DES",
  "-certpbe",
  "PBE-SHA1-RC2-40",
  "-macalg",
  "sha1",
];

/** A key bag and a certificate bag (with the CA's certificate) left unencrypted. */
export const UNENCRYPTED_BAGS_OPTIONS = ["-keypbe", "NONE", "-certpbe", "NONE", "-certfile", "ca.pem"];

const END_OF_CONTENTS = Buffer.from([0, 0]);

const indefinite = (tag: number, ...contents: Buffer[]) =>
  Buffer.concat([Buffer.from([tag | 0x20, 0x80]), ...contents, END_OF_CONTENTS]);

/** An OCTET STRING (or [0] IMPLICIT one) as a constructed, indefinite-length string of small pieces. */
function chunkedOctets(tag: number, bytes: Buffer): Buffer {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += 100)
    pieces.push(tlv(0x04, bytes.subarray(offset, offset + 100)));
  return indefinite(tag, ...pieces);
}

const DATA_OID = oid(OID.pkcs7Data);

/**
 * Re-encodes a DER element as BER: every constructed element with an indefinite length, OCTET
 * STRINGs in pieces, and the DER inside a ContentInfo of type data re-encoded the same way.
 */
export function toIndefiniteBer(der: Buffer): Buffer {
  return reencode(readSingle(der));
}

function reencode(element: Element): Buffer {
  if ((element.tag & 0x20) === 0) {
    return element.tag === 0x04 || element.tag === 0x80
      ? chunkedOctets(element.tag, element.content)
      : element.raw;
  }
  const parts = children(element);
  const [first, second] = parts;
  if (element.tag === 0x30 && parts.length === 2 && first!.raw.equals(DATA_OID) && second!.tag === 0xa0) {
    const inner = readSingle(children(second!)[0]!.content);
    return indefinite(0x30, first!.raw, indefinite(0xa0, chunkedOctets(0x04, reencode(inner))));
  }
  return indefinite(element.tag, ...parts.map(reencode));
}

/** The bytes a PFX's MAC covers: the content of its authSafe (a DER PFX). */
export function authSafeContent(pfx: Buffer): Buffer {
  const authSafe = children(readSingle(pfx))[1]!;
  return readSingle(children(children(authSafe)[1]!)[0]!.raw, 0x04).content;
}

/** A PFX around `content` with a fresh HMAC-SHA1 MAC, in DER or in indefinite-length BER. */
export function pfxWithMac(content: Buffer, password: string, iterations: number, berOuter = false): Buffer {
  const salt = randomBytes(20);
  const key = pkcs12Kdf("sha1", bmpPassword(password), salt, iterations, Pkcs12KeyPurpose.mac, 20);
  const macData = sequence(
    sequence(
      sequence(oid(OID.sha1), derNull()),
      octetString(createHmac("sha1", key).update(content).digest()),
    ),
    octetString(salt),
    integer(iterations),
  );
  if (berOuter)
    return indefinite(
      0x30,
      integer(3),
      indefinite(0x30, DATA_OID, indefinite(0xa0, chunkedOctets(0x04, content))),
      macData,
    );
  return sequence(integer(3), sequence(DATA_OID, tlv(0xa0, octetString(content))), macData);
}

/**
 * A DER file re-encoded as indefinite-length BER throughout (NCA's files are BER inside the
 * authSafe), with its MAC made again over the new bytes.
 */
export function toIndefiniteBerPfx(pfx: Buffer, password: string, iterations: number): Buffer {
  return pfxWithMac(toIndefiniteBer(authSafeContent(pfx)), password, iterations, true);
}
