import { children, decodeOid, expectTag, readSingle, Tag } from "./der.ts";
import { OID } from "./oids.ts";

/** The parts of an X.509 certificate that CMS and ESS refer to, as DER views into it. */
export interface CertificateIdentity {
  /** The issuer Name. */
  readonly issuer: Buffer;
  readonly subject: Buffer;
  /** The serialNumber INTEGER, tag and length included. */
  readonly serialNumber: Buffer;
  readonly subjectPublicKeyInfo: Buffer;
  readonly subjectKeyIdentifier?: Buffer;
}

/** Reads a DER certificate's identity; throws DerError when it is not one. */
export function certificateIdentity(certificate: Buffer): CertificateIdentity {
  const [tbs] = children(readSingle(certificate, Tag.Sequence));
  const fields = children(expectTag(tbs, Tag.Sequence, "tbsCertificate"));
  if (fields[0]?.tag === 0xa0) fields.shift();
  const [serialNumber, , issuer, , subject, subjectPublicKeyInfo, ...optional] = fields;
  expectTag(serialNumber, Tag.Integer, "certificate serialNumber");
  expectTag(issuer, Tag.Sequence, "certificate issuer");
  expectTag(subject, Tag.Sequence, "certificate subject");
  expectTag(subjectPublicKeyInfo, Tag.Sequence, "certificate subjectPublicKeyInfo");
  const extensions = optional.find((element) => element.tag === 0xa3);
  return {
    issuer: issuer!.raw,
    subject: subject!.raw,
    serialNumber: serialNumber!.raw,
    subjectPublicKeyInfo: subjectPublicKeyInfo!.raw,
    subjectKeyIdentifier: extensions && subjectKeyIdentifierOf(extensions.content),
  };
}

function subjectKeyIdentifierOf(extensionsField: Buffer): Buffer | undefined {
  for (const extension of children(readSingle(extensionsField, Tag.Sequence))) {
    const parts = children(extension);
    if (parts[0]?.tag !== Tag.ObjectIdentifier || decodeOid(parts[0].content) !== OID.subjectKeyIdentifier) {
      continue;
    }
    const value = expectTag(parts.at(-1), Tag.OctetString, "subjectKeyIdentifier extension");
    return readSingle(value.content, Tag.OctetString).content;
  }
  return undefined;
}
