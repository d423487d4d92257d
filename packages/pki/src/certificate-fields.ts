import { DerError, Tag, children, expectTag, readSingle } from "./der.ts";
import { parsingAs } from "./der-parsing.ts";

export interface CertificateKeyFields {
  /** The subject Name, DER. */
  readonly subject: Buffer;
  /** The subjectPublicKey BIT STRING's value, without tag, length and unused-bits byte. */
  readonly subjectPublicKey: Buffer;
}

/** The fields OCSP hashes (RFC 6960 4.1.1) and a CRL names its issuer by, read from a DER certificate. */
export function certificateKeyFields(certificate: Buffer): CertificateKeyFields {
  return parsingAs("malformed_certificate", "certificate", () => {
    const [tbs] = children(readSingle(certificate, Tag.Sequence));
    const fields = children(expectTag(tbs, Tag.Sequence, "tbsCertificate"));
    const first = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version, absent in v1
    const subject = expectTag(fields[first + 4], Tag.Sequence, "subject").raw;
    const [, publicKey] = children(expectTag(fields[first + 5], Tag.Sequence, "subjectPublicKeyInfo"));
    const bits = expectTag(publicKey, Tag.BitString, "subjectPublicKey").content;
    if (bits.length === 0 || bits[0] !== 0)
      throw new DerError("subjectPublicKey is not a whole number of bytes");
    return { subject, subjectPublicKey: bits.subarray(1) };
  });
}
