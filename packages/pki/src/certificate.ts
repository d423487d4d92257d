import { createHash } from "node:crypto";
import type { SigningKey, SignatureAlgorithm } from "./algorithms.ts";
import { bitString, children, octetString, contextConstructed, expectTag, integer, readSingle, sequence, Tag, time, unsignedInteger } from "./der.ts";
import { encodeName } from "./name.ts";
import { profileExtensions, type IssuerUrls, type ProfileSettings } from "./profiles/extensions.ts";
import { encodeExtension } from "./x509-extensions.ts";
import type { CertificateProfile, KeyStorage } from "./profiles/profile.ts";
import { subjectNameAttributes, type SubjectIdentity } from "./subject.ts";

/** The CA that signs: its name and key identifier as they appear in the certificates it issues. */
export interface IssuerDescription {
  /** DER Name: the issuer certificate's subject, byte for byte. */
  readonly name: Buffer;
  readonly keyIdentifier: Buffer;
  readonly notAfter: Date;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly urls?: IssuerUrls;
}

export interface CertificateContent {
  readonly profile: CertificateProfile;
  /** The verified identity; absent for the CA's own certificates, which give `subjectName`. */
  readonly identity?: SubjectIdentity;
  readonly subjectName?: Buffer;
  /** DER SubjectPublicKeyInfo, already checked against the key policy. */
  readonly publicKeyInfo: Buffer;
  /** Positive serial number, big-endian magnitude. */
  readonly serial: Buffer;
  readonly notBefore: Date;
  readonly storage: KeyStorage;
}

const VERSION_3 = contextConstructed(0, integer(2));

/** Key identifier, RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(publicKeyInfo: Buffer): Buffer {
  const [, subjectPublicKey] = children(readSingle(publicKeyInfo, Tag.Sequence));
  const bits = expectTag(subjectPublicKey, Tag.BitString, "subjectPublicKey");
  return createHash("sha1").update(bits.content.subarray(1)).digest();
}

export function addMonths(date: Date, months: number): Date {
  const result = new Date(date);
  result.setUTCMonth(result.getUTCMonth() + months);
  return result;
}

/** The validity a profile gives, never past the issuer's own end. */
export function validityFor(content: Pick<CertificateContent, "profile" | "notBefore" | "storage">, issuerNotAfter: Date) {
  const wanted = addMonths(content.notBefore, content.profile.validityMonths[content.storage]);
  return { notBefore: content.notBefore, notAfter: wanted > issuerNotAfter ? issuerNotAfter : wanted };
}

/** Encoded extensions of one profile, split around the subject key identifier (which varies). */
interface ExtensionTemplate {
  readonly beforeKeyId: Buffer;
  readonly afterKeyId: Buffer;
}

const SUBJECT_KEY_ID_OID = "2.5.29.14";

/**
 * Builds to-be-signed certificates for one issuer. The parts that never change for a profile
 * (algorithm, issuer name, every extension but the SKI) are encoded once and spliced in, so a
 * certificate costs a few small buffer copies plus the signature.
 */
export class CertificateBuilder {
  private readonly templates = new Map<string, ExtensionTemplate>();
  private readonly algorithmAndIssuer: Buffer;

  constructor(
    readonly issuer: IssuerDescription,
    private readonly settings: ProfileSettings,
  ) {
    this.algorithmAndIssuer = Buffer.concat([issuer.signatureAlgorithm.identifier, issuer.name]);
  }

  tbsCertificate(content: CertificateContent): Buffer {
    const { notBefore, notAfter } = validityFor(content, this.issuer.notAfter);
    const subjectName = content.subjectName ?? encodeName(subjectNameAttributes(content.identity!));
    const subjectKeyId = keyIdentifier(content.publicKeyInfo);
    const template = this.extensionTemplate(content, subjectKeyId);
    const keyIdExtension = encodeExtension(SUBJECT_KEY_ID_OID, false, octetString(subjectKeyId));
    return sequence(
      VERSION_3,
      unsignedInteger(content.serial),
      this.algorithmAndIssuer,
      sequence(time(notBefore), time(notAfter)),
      subjectName,
      content.publicKeyInfo,
      contextConstructed(3, sequence(template.beforeKeyId, keyIdExtension, template.afterKeyId)),
    );
  }

  private extensionTemplate(content: CertificateContent, subjectKeyId: Buffer): ExtensionTemplate {
    const { profile, identity } = content;
    // Only the legal role (inside EKU) and DNS names (SAN) vary between subjects of one profile.
    const variant = identity?.kind === "legal" ? identity.role : "";
    const cacheable = !profile.subjectAltName;
    const key = `${profile.name}/${variant}`;
    const cached = cacheable ? this.templates.get(key) : undefined;
    if (cached) return cached;
    const extensions = profileExtensions({
      profile,
      settings: this.settings,
      ...(this.issuer.urls ? { issuerUrls: this.issuer.urls } : {}),
      authorityKeyId: this.issuer.keyIdentifier,
      subjectKeyId,
      ...(identity ? { identity } : {}),
    });
    const split = extensions.findIndex((extension) => extension.oid === SUBJECT_KEY_ID_OID);
    const template = {
      beforeKeyId: Buffer.concat(extensions.slice(0, split).map((e) => encodeExtension(e.oid, e.critical, e.value))),
      afterKeyId: Buffer.concat(extensions.slice(split + 1).map((e) => encodeExtension(e.oid, e.critical, e.value))),
    };
    if (cacheable) this.templates.set(key, template);
    return template;
  }
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }. */
export async function signTbs(tbs: Buffer, key: SigningKey): Promise<Buffer> {
  const signature = await key.sign(tbs);
  return sequence(tbs, key.algorithm.identifier, bitString(signature));
}
