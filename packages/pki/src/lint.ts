import { createHash } from "node:crypto";
import { children, decodeOid, DerError, octetString, oid, readSingle, readTime, sequence, Tag, type Element } from "./der.ts";
import type { IssuerDescription } from "./certificate.ts";
import { OID } from "./oids.ts";
import { extendedKeyUsagePurposes, type ProfileSettings } from "./profiles/extensions.ts";
import { KEY_USAGE_BITS, type CertificateProfile } from "./profiles/profile.ts";
import { subjectNameAttributes, type SubjectIdentity } from "./subject.ts";

/** A to-be-signed certificate that does not match its profile: issuing it would be a CA bug. */
export class LintError extends Error {
  override name = "LintError";
  constructor(readonly problems: readonly string[]) {
    super(`pre-issuance lint failed: ${problems.join("; ")}`);
  }
}

const STRING_TAGS: Record<string, number> = {
  [OID.countryName]: Tag.PrintableString,
  [OID.serialNumber]: Tag.PrintableString,
  [OID.emailAddress]: Tag.Ia5String,
};

function expectedExtensionOids(profile: CertificateProfile, identity: SubjectIdentity | undefined, settings: ProfileSettings) {
  const expected: Array<[string, boolean]> = [];
  if (profile.basicConstraints) expected.push([OID.basicConstraints, true]);
  expected.push([OID.keyUsage, true]);
  if (extendedKeyUsagePurposes(profile, identity, settings.policyOids).length > 0) {
    expected.push([OID.extKeyUsage, profile.extendedKeyUsage?.critical ?? false]);
  }
  if (profile.subjectAltName) expected.push([OID.subjectAltName, false]);
  if (profile.authorityKeyIdentifier) expected.push([OID.authorityKeyIdentifier, false]);
  expected.push([OID.subjectKeyIdentifier, false]);
  if (profile.policy) expected.push([OID.certificatePolicies, false]);
  if (profile.crlDistributionPoint) expected.push([OID.cRLDistributionPoints, false]);
  if (profile.freshestCrl) expected.push([OID.freshestCRL, false]);
  if (profile.authorityInfoAccess !== "none") expected.push([OID.authorityInfoAccess, false]);
  if (profile.ocspNoCheck) expected.push([OID.ocspNoCheck, false]);
  return expected;
}

/**
 * Pre-issuance lint: reads the to-be-signed certificate back from its DER, independently of the
 * builder, and checks every field against the profile. Throws LintError listing all problems.
 */
export function lintTbsCertificate(
  tbs: Buffer,
  expectation: {
    profile: CertificateProfile;
    identity?: SubjectIdentity;
    issuer: IssuerDescription;
    settings: ProfileSettings;
    publicKeyInfo: Buffer;
  },
): void {
  const problems: string[] = [];
  const { identity, issuer } = expectation;
  try {
    const fields = children(readSingle(tbs, Tag.Sequence));
    if (fields.length !== 8) throw new DerError(`TBSCertificate has ${fields.length} fields, expected 8`);
    const [version, serial, algorithm, issuerName, validity, subject, spki, extensionsWrapper] = fields as [Element, Element, Element, Element, Element, Element, Element, Element];
    if (version.raw.toString("hex") !== "a003020102") problems.push("version is not v3");
    if (serial.tag !== Tag.Integer || serial.content.length > 20 || (serial.content[0]! & 0x80) !== 0) {
      problems.push("serial must be a positive INTEGER of at most 20 octets");
    } else if (serial.content.every((byte) => byte === 0)) problems.push("serial must not be zero");
    if (!algorithm.raw.equals(issuer.signatureAlgorithm.identifier)) problems.push("signature algorithm differs from the issuer's");
    if (!issuerName.raw.equals(issuer.name)) problems.push("issuer name differs from the issuer certificate's subject");
    const [notBefore, notAfter] = children(validity).map(readTime) as [Date, Date];
    if (!(notBefore < notAfter)) problems.push("notBefore is not before notAfter");
    if (notAfter > issuer.notAfter) problems.push("notAfter is past the issuer's notAfter");
    if (!spki.raw.equals(expectation.publicKeyInfo)) problems.push("subject public key differs from the verified request");
    if (identity) lintSubject(subject, identity, problems);
    else if (subject.content.length === 0) problems.push("subject is empty");
    if (extensionsWrapper.tag !== 0xa3) throw new DerError("extensions are missing");
    lintExtensionBlock(children(extensionsWrapper)[0]!, expectation, problems);
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    problems.push(`malformed: ${error.message}`);
  }
  if (problems.length > 0) throw new LintError(problems);
}

function lintSubject(subject: Element, identity: SubjectIdentity, problems: string[]): void {
  const expected = subjectNameAttributes(identity);
  const rdns = children(subject);
  if (rdns.length !== expected.length) problems.push(`subject has ${rdns.length} attributes, expected ${expected.length}`);
  rdns.forEach((rdn, index) => {
    const attributes = children(rdn);
    if (rdn.tag !== Tag.Set || attributes.length !== 1) return problems.push(`subject RDN ${index + 1} is not a single attribute`);
    const [type, value] = children(attributes[0]!) as [Element, Element];
    const want = expected[index];
    const oid = decodeOid(type.content);
    if (!want || oid !== want.type) return problems.push(`subject attribute ${index + 1} is ${oid}, expected ${want?.type ?? "nothing"}`);
    const tag = STRING_TAGS[oid] ?? Tag.Utf8String;
    if (value.tag !== tag) problems.push(`subject attribute ${oid} has string tag 0x${value.tag.toString(16)}, expected 0x${tag.toString(16)}`);
    if (value.content.toString("utf8") !== want.value) problems.push(`subject attribute ${oid} has the wrong value`);
    if (value.content.length === 0) problems.push(`subject attribute ${oid} is empty`);
  });
}

type Expectation = Parameters<typeof lintTbsCertificate>[1];

/**
 * Extension blocks that passed the full check, cut around the subject key identifier: under the
 * same profile, purposes, policy and issuer, two certificates' blocks differ only there. Per
 * profile object, a few variants each (a legal entity's role changes its purposes).
 */
const passedBlocks = new WeakMap<CertificateProfile, Map<string, { before: Buffer; after: Buffer }>>();
const MAX_PASSED_VARIANTS = 32;

function lintExtensionBlock(block: Element, expectation: Expectation, problems: string[]): void {
  const { profile, identity, settings, issuer } = expectation;
  const purposes = extendedKeyUsagePurposes(profile, identity, settings.policyOids);
  const policy = profile.policy ? settings.policyOids.policies[profile.policy] : "";
  const variant = `${purposes.join()}|${policy}|${issuer.keyIdentifier.toString("hex")}`;
  const keyIdExtension = sequence(oid(OID.subjectKeyIdentifier), octetString(octetString(subjectKeyIdentifierOf(expectation.publicKeyInfo))));
  const passed = passedBlocks.get(profile)?.get(variant);
  const content = block.content;
  if (
    passed &&
    content.length === passed.before.length + keyIdExtension.length + passed.after.length &&
    content.subarray(0, passed.before.length).equals(passed.before) &&
    content.subarray(passed.before.length, passed.before.length + keyIdExtension.length).equals(keyIdExtension) &&
    content.subarray(content.length - passed.after.length).equals(passed.after)
  ) {
    return;
  }
  const before = problems.length;
  const extensions = children(block);
  lintExtensions(extensions, expectation, expectedExtensionOids(profile, identity, settings), problems);
  const keyId = extensions.find((extension) => extension.raw.equals(keyIdExtension));
  if (problems.length > before || !keyId || profile.subjectAltName) return;
  const start = keyId.raw.byteOffset - content.byteOffset;
  const variants = passedBlocks.get(profile) ?? new Map();
  if (variants.size >= MAX_PASSED_VARIANTS) variants.clear();
  variants.set(variant, {
    before: Buffer.from(content.subarray(0, start)),
    after: Buffer.from(content.subarray(start + keyIdExtension.length)),
  });
  passedBlocks.set(profile, variants);
}

/** SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1), read here independently of the builder. */
function subjectKeyIdentifierOf(publicKeyInfo: Buffer): Buffer {
  const [, bits] = children(readSingle(publicKeyInfo));
  return createHash("sha1").update(bits!.content.subarray(1)).digest();
}

function lintExtensions(
  extensions: Element[],
  expectation: Expectation,
  expected: Array<[string, boolean]>,
  problems: string[],
): void {
  const found = extensions.map((extension) => {
    const parts = children(extension);
    const critical = parts.length === 3 && parts[1]!.tag === Tag.Boolean && parts[1]!.content[0] !== 0;
    return { oid: decodeOid(parts[0]!.content), critical, value: children(parts[parts.length - 1]!)[0]! };
  });
  const foundList = found.map((extension) => `${extension.oid}${extension.critical ? "!" : ""}`).join(",");
  const expectedList = expected.map(([oid, critical]) => `${oid}${critical ? "!" : ""}`).join(",");
  if (foundList !== expectedList) problems.push(`extensions are [${foundList}], the profile wants [${expectedList}]`);
  const byOid = new Map(found.map((extension) => [extension.oid, extension.value]));
  const keyUsage = byOid.get(OID.keyUsage);
  if (keyUsage) {
    const bits = keyUsage.content.subarray(1);
    const set = Object.entries(KEY_USAGE_BITS).filter(([, bit]) => ((bits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0).map(([name]) => name);
    if ([...set].sort().join() !== [...expectation.profile.keyUsage].sort().join()) problems.push(`keyUsage is ${set.join("+")}`);
  }
  const eku = byOid.get(OID.extKeyUsage);
  if (eku) {
    const purposes = children(eku).map((purpose) => decodeOid(purpose.content));
    const want = extendedKeyUsagePurposes(expectation.profile, expectation.identity, expectation.settings.policyOids);
    if (purposes.join() !== want.join()) problems.push(`extendedKeyUsage is ${purposes.join(",")}, expected ${want.join(",")}`);
  }
  const subjectKeyId = byOid.get(OID.subjectKeyIdentifier);
  if (subjectKeyId && !subjectKeyId.content.equals(subjectKeyIdentifierOf(expectation.publicKeyInfo))) {
    problems.push("subjectKeyIdentifier is not the SHA-1 of the public key");
  }
  const authorityKeyId = byOid.get(OID.authorityKeyIdentifier);
  if (authorityKeyId && !children(authorityKeyId)[0]?.content.equals(expectation.issuer.keyIdentifier)) {
    problems.push("authorityKeyIdentifier is not the issuer's key identifier");
  }
  const policies = byOid.get(OID.certificatePolicies);
  if (policies && expectation.profile.policy) {
    const policyOid = decodeOid(children(children(policies)[0]!)[0]!.content);
    const want = expectation.settings.policyOids.policies[expectation.profile.policy];
    if (policyOid !== want) problems.push(`certificate policy is ${policyOid}, expected ${want}`);
  }
}
