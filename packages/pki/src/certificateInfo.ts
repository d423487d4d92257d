import { createPublicKey } from "node:crypto";
import { defaultSignatureAlgorithm } from "./algorithms.ts";
import { keyIdentifier, type IssuerDescription } from "./certificate.ts";
import { children, decodeOid, DerError, expectTag, readSingle, readTime, Tag, type Element } from "./der.ts";
import { readAlgorithmOid } from "./der-parsing.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";
import type { IssuerUrls } from "./profiles/extensions.ts";

/** The fields of an X.509 certificate that verification and issuance need, as zero-copy views. */
export interface CertificateInfo {
  readonly der: Buffer;
  readonly tbs: Buffer;
  readonly serial: Buffer;
  readonly issuerName: Buffer;
  readonly subjectName: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKeyInfo: Buffer;
  readonly extensions: ReadonlyMap<string, { critical: boolean; value: Buffer }>;
  readonly signatureAlgorithmOid: string;
  readonly signature: Buffer;
}

export function parseCertificate(der: Buffer): CertificateInfo {
  try {
    const [tbsElement, algorithm, signatureBits] = children(readSingle(der, Tag.Sequence));
    const tbs = expectTag(tbsElement, Tag.Sequence, "tbsCertificate");
    const fields = children(tbs);
    const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
    const [serial, , issuer, validity, subject, spki, ...rest] = fields.slice(offset) as Element[];
    const [notBefore, notAfter] = children(expectTag(validity, Tag.Sequence, "validity")).map(readTime);
    if (!notBefore || !notAfter) throw new DerError("validity needs notBefore and notAfter");
    const extensions = new Map<string, { critical: boolean; value: Buffer }>();
    const wrapper = rest.find((element) => element.tag === 0xa3);
    if (wrapper) {
      for (const extension of children(expectTag(children(wrapper)[0], Tag.Sequence, "extensions"))) {
        const parts = children(expectTag(extension, Tag.Sequence, "extension"));
        const id = expectTag(parts[0], Tag.ObjectIdentifier, "extension id");
        const value = expectTag(parts[parts.length - 1], Tag.OctetString, "extension value");
        const critical = parts.length === 3 && parts[1]!.content[0] !== 0;
        extensions.set(decodeOid(id.content), { critical, value: value.content });
      }
    }
    return {
      der,
      tbs: tbs.raw,
      serial: expectTag(serial, Tag.Integer, "serialNumber").content,
      issuerName: expectTag(issuer, Tag.Sequence, "issuer").raw,
      subjectName: expectTag(subject, Tag.Sequence, "subject").raw,
      notBefore,
      notAfter,
      publicKeyInfo: expectTag(spki, Tag.Sequence, "subjectPublicKeyInfo").raw,
      extensions,
      signatureAlgorithmOid: readAlgorithmOid(algorithm, "signatureAlgorithm"),
      signature: expectTag(signatureBits, Tag.BitString, "signature").content.subarray(1),
    };
  } catch (error) {
    if (error instanceof DerError) throw new InputError("bad_certificate", `certificate is malformed: ${error.message}`);
    throw error;
  }
}

/** The certificate's subject key identifier (from the extension, else computed from the key). */
export function subjectKeyIdentifierOf(info: CertificateInfo): Buffer {
  const extension = info.extensions.get(OID.subjectKeyIdentifier);
  return extension ? readSingle(extension.value, Tag.OctetString).content : keyIdentifier(info.publicKeyInfo);
}

/** Describes a CA certificate as the issuer of the certificates it will sign. */
export function describeIssuer(certificate: Buffer, urls?: IssuerUrls): IssuerDescription {
  const info = parseCertificate(certificate);
  return {
    name: info.subjectName,
    keyIdentifier: subjectKeyIdentifierOf(info),
    notAfter: info.notAfter,
    signatureAlgorithm: defaultSignatureAlgorithm(createPublicKey({ key: info.publicKeyInfo, format: "der", type: "spki" })),
    ...(urls ? { urls } : {}),
  };
}
