// PKCS#12 key files (RFC 7292) as NCA issues them and NCALayer reads them: opening the BER files
// of NCA's software (SHA-1 MAC, 3DES key bag, RC2-40 certificate bag) and modern ones (PBES2,
// SHA-256 MAC), and writing modern files with NCA's naming attributes.
import {
  createHash,
  createHmac,
  createPrivateKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
  X509Certificate,
} from "node:crypto";
import type { HashName } from "./algorithms.ts";
import {
  BerError,
  type BerElement,
  explicitContent,
  expectUniversal,
  octets,
  readBer,
  readOid,
  readSmallInteger,
  TagClass,
  UniversalTag,
} from "./ber.ts";
import { parseCertificate, subjectKeyIdentifierOf } from "./certificateInfo.ts";
import {
  contextConstructed,
  contextPrimitive,
  derNull,
  integer,
  octetString,
  oid,
  sequence,
  setOf,
  tlv,
} from "./der.ts";
import { parsingAs } from "./der-parsing.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";
import { IterationBudget, pbeDecrypt, pbes2Encrypt } from "./pkcs12-pbe.ts";
import { bmpPassword, pkcs12Kdf, Pkcs12KeyPurpose } from "./pkcs12-kdf.ts";

export interface Pkcs12Entry {
  privateKey: KeyObject;
  /** The DER certificate of `privateKey`. */
  certificate: Buffer;
  /** The certificates above it found in the file, issuer first after the leaf's. */
  chain: Buffer[];
  localKeyId?: Buffer;
  friendlyName?: string;
}

export interface Pkcs12Contents {
  entries: Pkcs12Entry[];
}

export interface Pkcs12Input {
  privateKey: KeyObject;
  certificate: Buffer;
  chain?: Buffer[];
  /**
   * Defaults to the certificate's key identifier in lower-case hex, as NCA names its files: the
   * SubjectKeyIdentifier, or without that extension the SHA-1 of the public key (RFC 5280 method 1).
   */
  friendlyName?: string;
  /** Defaults to the same key identifier, as bytes. */
  localKeyId?: Buffer;
}

/** Enough for files of 600,000 iterations (a MAC and two encrypted bags); more is refused. */
const MAX_ITERATIONS_PER_FILE = 2_000_000;
const MAX_WRITE_ITERATIONS = 600_000;
/** Matching keys to certificates is quadratic; real key files hold one key, keystores a few. */
const MAX_KEYS = 100;
/** As Java's keytool writes; opening such a file costs a few tens of milliseconds. */
const DEFAULT_WRITE_ITERATIONS = 10_000;

const MAC_HASHES: Record<string, HashName> = {
  [OID.sha1]: "sha1",
  [OID.sha256]: "sha256",
  [OID.sha384]: "sha384",
  [OID.sha512]: "sha512",
};

const WRONG_PASSWORD = "wrong password for the key file";

interface Attributes {
  localKeyId?: Buffer;
  friendlyName?: string;
}

interface Bags {
  /** PKCS#8 PrivateKeyInfo encodings; the decrypted ones are wiped once read. */
  keys: Array<Attributes & { pkcs8: Buffer; decrypted: boolean }>;
  certificates: Array<Attributes & { der: Buffer }>;
}

/**
 * Opens a PKCS#12 file with its password. A wrong password is found by the MAC before anything is
 * decrypted (InputError "wrong_password"); a damaged or unreadable file is InputError "bad_pkcs12";
 * a GOST key is InputError "gost_unsupported".
 */
export function openPkcs12(der: Buffer, password: string): Pkcs12Contents {
  try {
    return { entries: buildEntries(readBags(der, password)) };
  } catch (error) {
    if (error instanceof BerError)
      throw new InputError("bad_pkcs12", `the key file is damaged or not PKCS#12: ${error.message}`);
    throw error;
  }
}

function readBags(der: Buffer, password: string): Bags {
  const budget = new IterationBudget(MAX_ITERATIONS_PER_FILE);
  // PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
  const pfx = expectUniversal(readBer(der), UniversalTag.sequence, "PFX");
  const [version, authSafe, macData, ...extra] = pfx.children;
  if (readSmallInteger(version, "PFX version") !== 3) throw new BerError("only PFX version 3 is supported");
  if (extra.length > 0) throw new BerError("the PFX has unexpected trailing fields");
  const authSafeBytes = dataContent(authSafe, "authSafe");
  if (macData) verifyMac(macData, authSafeBytes, password, budget);
  const macChecked = macData !== undefined;

  const bags: Bags = { keys: [], certificates: [] };
  const authenticatedSafe = expectUniversal(
    readBer(authSafeBytes),
    UniversalTag.sequence,
    "AuthenticatedSafe",
  );
  for (const contentInfo of authenticatedSafe.children) {
    const contentType = readOid(
      expectUniversal(contentInfo, UniversalTag.sequence, "ContentInfo").children[0],
      "content type",
    );
    const safeContents =
      contentType === OID.pkcs7EncryptedData
        ? decryptOrFail(readEncryptedData(contentInfo), password, budget, macChecked, "the certificates")
        : dataContent(contentInfo, "ContentInfo");
    readSafeContents(safeContents, password, budget, macChecked, bags);
  }
  return bags;
}

/** The OCTET STRING inside a ContentInfo of type data. */
function dataContent(contentInfo: BerElement | undefined, what: string): Buffer {
  expectUniversal(contentInfo, UniversalTag.sequence, what);
  const contentType = readOid(contentInfo!.children[0], `${what} content type`);
  if (contentType !== OID.pkcs7Data)
    throw new BerError(`${what} content type ${contentType} is not supported`);
  return octets(
    expectUniversal(
      explicitContent(contentInfo!.children[1], 0, `${what} content`),
      UniversalTag.octetString,
      `${what} data`,
    ),
  );
}

function verifyMac(macData: BerElement, authSafe: Buffer, password: string, budget: IterationBudget): void {
  // MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }
  const [digestInfo, saltElement, iterationsElement] = expectUniversal(
    macData,
    UniversalTag.sequence,
    "MacData",
  ).children;
  const [algorithm, digestElement] = expectUniversal(
    digestInfo,
    UniversalTag.sequence,
    "MAC DigestInfo",
  ).children;
  const hashOid = readOid(
    expectUniversal(algorithm, UniversalTag.sequence, "MAC algorithm").children[0],
    "MAC algorithm OID",
  );
  const hash = MAC_HASHES[hashOid];
  if (!hash) throw new BerError(`unsupported MAC algorithm ${hashOid}`);
  const expected = octets(expectUniversal(digestElement, UniversalTag.octetString, "MAC value"));
  const salt = octets(expectUniversal(saltElement, UniversalTag.octetString, "MAC salt"));
  const iterations = iterationsElement ? readSmallInteger(iterationsElement, "MAC iteration count") : 1;
  budget.spend(iterations);
  const bmp = bmpPassword(password);
  const key = pkcs12Kdf(hash, bmp, salt, iterations, Pkcs12KeyPurpose.mac, createHash(hash).digest().length);
  bmp.fill(0);
  const actual = createHmac(hash, key).update(authSafe).digest();
  key.fill(0);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new InputError("wrong_password", WRONG_PASSWORD);
  }
}

interface Encrypted {
  algorithm: BerElement;
  data: Buffer;
}

function readEncryptedData(contentInfo: BerElement): Encrypted {
  // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo ::= SEQUENCE {
  //   contentType, contentEncryptionAlgorithm, encryptedContent [0] IMPLICIT OCTET STRING } }
  const encryptedData = expectUniversal(
    explicitContent(contentInfo.children[1], 0, "EncryptedData"),
    UniversalTag.sequence,
    "EncryptedData",
  );
  readSmallInteger(encryptedData.children[0], "EncryptedData version");
  const [contentType, algorithm, content] = expectUniversal(
    encryptedData.children[1],
    UniversalTag.sequence,
    "EncryptedContentInfo",
  ).children;
  if (readOid(contentType, "encrypted content type") !== OID.pkcs7Data)
    throw new BerError("the encrypted content is not data");
  if (!content || content.tagClass !== TagClass.context || content.tagNumber !== 0)
    throw new BerError("the encrypted content is missing");
  return { algorithm: algorithm!, data: octets(content) };
}

function decryptOrFail(
  encrypted: Encrypted,
  password: string,
  budget: IterationBudget,
  macChecked: boolean,
  what: string,
): Buffer {
  const plain = pbeDecrypt(encrypted.algorithm, encrypted.data, password, budget);
  // With a verified MAC the password is right, so a failure means a broken file. Without one, a
  // wrong password shows as bad padding, or (1 time in 256) as good padding around garbage.
  if (macChecked) {
    if (!plain) throw new BerError(`${what} cannot be decrypted although the password is right`);
    return plain;
  }
  if (!plain || !isBer(plain)) throw new InputError("wrong_password", WRONG_PASSWORD);
  return plain;
}

function isBer(data: Buffer): boolean {
  try {
    readBer(data);
    return true;
  } catch {
    return false;
  }
}

function readSafeContents(
  safeContents: Buffer,
  password: string,
  budget: IterationBudget,
  macChecked: boolean,
  bags: Bags,
): void {
  // SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT, bagAttributes SET OF Attribute OPTIONAL }
  for (const bag of expectUniversal(readBer(safeContents), UniversalTag.sequence, "SafeContents").children) {
    const [bagIdElement, valueElement, attributesElement] = expectUniversal(
      bag,
      UniversalTag.sequence,
      "SafeBag",
    ).children;
    const bagId = readOid(bagIdElement, "bag type");
    const value = explicitContent(valueElement, 0, "bag value");
    const attributes = readAttributes(attributesElement);
    if (bagId === OID.keyBag) {
      bags.keys.push({
        ...attributes,
        pkcs8: expectUniversal(value, UniversalTag.sequence, "private key").raw,
        decrypted: false,
      });
    } else if (bagId === OID.pkcs8ShroudedKeyBag) {
      // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING }
      const [algorithm, data] = expectUniversal(value, UniversalTag.sequence, "shrouded key").children;
      const encrypted = {
        algorithm: algorithm!,
        data: octets(expectUniversal(data, UniversalTag.octetString, "encrypted key")),
      };
      bags.keys.push({
        ...attributes,
        pkcs8: decryptOrFail(encrypted, password, budget, macChecked, "the private key"),
        decrypted: true,
      });
    } else if (bagId === OID.certBag) {
      // CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT OCTET STRING }
      const [certId, certValue] = expectUniversal(value, UniversalTag.sequence, "CertBag").children;
      if (readOid(certId, "certificate type") !== OID.x509CertificateBag) continue;
      const der = octets(
        expectUniversal(
          explicitContent(certValue, 0, "certificate"),
          UniversalTag.octetString,
          "certificate",
        ),
      );
      bags.certificates.push({ ...attributes, der });
    }
    // CRL, secret and nested bags carry nothing a key file needs.
  }
}

function readAttributes(set: BerElement | undefined): Attributes {
  const attributes: Attributes = {};
  if (!set) return attributes;
  for (const attribute of expectUniversal(set, UniversalTag.set, "bag attributes").children) {
    const [typeElement, values] = expectUniversal(attribute, UniversalTag.sequence, "bag attribute").children;
    const type = readOid(typeElement, "bag attribute type");
    const value = expectUniversal(values, UniversalTag.set, "bag attribute values").children[0];
    if (type === OID.localKeyId) {
      attributes.localKeyId = Buffer.from(
        octets(expectUniversal(value, UniversalTag.octetString, "localKeyID")),
      );
    } else if (type === OID.friendlyName) {
      const bmp = octets(expectUniversal(value, UniversalTag.bmpString, "friendlyName"));
      if (bmp.length % 2 !== 0) throw new BerError("friendlyName is not a BMPString");
      attributes.friendlyName = Buffer.from(bmp).swap16().toString("utf16le");
    }
  }
  return attributes;
}

const isGost = (algorithmOid: string) =>
  algorithmOid.startsWith("1.2.398.3.10.") || algorithmOid.startsWith("1.2.643.");

function toPrivateKey(pkcs8: Buffer): KeyObject {
  // PrivateKeyInfo ::= SEQUENCE { version, privateKeyAlgorithm AlgorithmIdentifier, privateKey, ... }
  const algorithm = expectUniversal(
    readBer(pkcs8).children[1],
    UniversalTag.sequence,
    "private key algorithm",
  );
  const algorithmOid = readOid(algorithm.children[0], "private key algorithm OID");
  if (isGost(algorithmOid)) throw new InputError("gost_unsupported", "GOST keys: not supported yet");
  try {
    return createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  } catch {
    throw new InputError(
      "bad_pkcs12",
      `the private key in the key file (algorithm ${algorithmOid}) cannot be read`,
    );
  }
}

function toCertificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new InputError("bad_pkcs12", "a certificate in the key file is not a valid X.509 certificate");
  }
}

function buildEntries(bags: Bags): Pkcs12Entry[] {
  if (bags.keys.length === 0) throw new InputError("bad_pkcs12", "the key file holds no private key");
  if (bags.keys.length > MAX_KEYS) {
    throw new InputError("bad_pkcs12", `the key file holds more than ${MAX_KEYS} private keys`);
  }
  const certificates = bags.certificates.map((bag) => ({ ...bag, x509: toCertificate(bag.der) }));
  const entries: Pkcs12Entry[] = [];
  for (const key of bags.keys) {
    let privateKey: KeyObject;
    try {
      privateKey = toPrivateKey(key.pkcs8);
    } finally {
      if (key.decrypted) key.pkcs8.fill(0);
    }
    const byKeyId =
      key.localKeyId && certificates.find((certificate) => certificate.localKeyId?.equals(key.localKeyId!));
    const leaf = byKeyId || certificates.find((certificate) => keyMatches(certificate.x509, privateKey));
    if (!leaf) throw new InputError("bad_pkcs12", "the key file holds a private key without its certificate");
    if (!keyMatches(leaf.x509, privateKey))
      throw new InputError("bad_pkcs12", "the private key does not match its certificate");
    const others = certificates.filter((certificate) => certificate !== leaf);
    const entry: Pkcs12Entry = {
      privateKey,
      certificate: leaf.der,
      chain: issuerChain(
        leaf.x509,
        others.map((other) => other.x509),
      ),
    };
    const localKeyId = key.localKeyId ?? leaf.localKeyId;
    const friendlyName = key.friendlyName ?? leaf.friendlyName;
    if (localKeyId) entry.localKeyId = localKeyId;
    if (friendlyName !== undefined) entry.friendlyName = friendlyName;
    entries.push(entry);
  }
  return entries;
}

function keyMatches(certificate: X509Certificate, privateKey: KeyObject): boolean {
  try {
    return certificate.checkPrivateKey(privateKey);
  } catch {
    return false; // a certificate key of a type OpenSSL cannot compare
  }
}

/** The issuers of `leaf` among `candidates`, nearest first, by name and key identifier. */
function issuerChain(leaf: X509Certificate, candidates: X509Certificate[]): Buffer[] {
  const chain: Buffer[] = [];
  const remaining = [...candidates];
  for (let current = leaf; ;) {
    const index = remaining.findIndex((candidate) => current.checkIssued(candidate));
    if (index < 0) return chain;
    current = remaining.splice(index, 1)[0]!;
    chain.push(current.raw);
  }
}

// ---------------------------------------------------------------- writing

/**
 * Writes a modern PKCS#12 file: the key in a PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) shrouded key
 * bag, the certificates in a PBES2-encrypted bag, an HMAC-SHA256 MAC; the key and its certificate
 * carry friendlyName and localKeyID.
 */
export function writePkcs12(
  input: Pkcs12Input,
  password: string,
  options: { iterations?: number } = {},
): Buffer {
  const iterations = options.iterations ?? DEFAULT_WRITE_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_WRITE_ITERATIONS) {
    throw new RangeError(`iterations must be an integer from 1 to ${MAX_WRITE_ITERATIONS}`);
  }
  if (input.privateKey.type !== "private")
    throw new InputError("not_private_key", "the key for the key file is not a private key");
  const certificate = parseInputCertificate(input.certificate);
  const chain = (input.chain ?? []).map(parseInputCertificate);
  if (!certificate.checkPrivateKey(input.privateKey)) {
    throw new InputError("key_mismatch", "the private key does not match the certificate");
  }
  const keyId =
    input.localKeyId ??
    parsingAs("bad_certificate", "the certificate's SubjectKeyIdentifier", () =>
      subjectKeyIdentifierOf(parseCertificate(certificate.raw)),
    );
  const attributes = setOf(
    sequence(
      oid(OID.friendlyName),
      setOf(tlv(0x1e, Buffer.from(input.friendlyName ?? keyId.toString("hex"), "utf16le").swap16())),
    ),
    sequence(oid(OID.localKeyId), setOf(octetString(keyId))),
  );

  const certBag = (der: Buffer, ...bagAttributes: Buffer[]) =>
    sequence(
      oid(OID.certBag),
      contextConstructed(0, sequence(oid(OID.x509CertificateBag), contextConstructed(0, octetString(der)))),
      ...bagAttributes,
    );
  const certificates = pbes2Encrypt(
    sequence(certBag(certificate.raw, attributes), ...chain.map((issuer) => certBag(issuer.raw))),
    password,
    iterations,
  );
  const certificatesInfo = sequence(
    oid(OID.pkcs7EncryptedData),
    contextConstructed(
      0,
      sequence(
        integer(0),
        sequence(oid(OID.pkcs7Data), certificates.algorithm, contextPrimitive(0, certificates.encrypted)),
      ),
    ),
  );

  const pkcs8 = input.privateKey.export({ type: "pkcs8", format: "der" });
  const shrouded = pbes2Encrypt(pkcs8, password, iterations);
  pkcs8.fill(0);
  const keyBag = sequence(
    oid(OID.pkcs8ShroudedKeyBag),
    contextConstructed(0, sequence(shrouded.algorithm, octetString(shrouded.encrypted))),
    attributes,
  );
  const keyInfo = sequence(oid(OID.pkcs7Data), contextConstructed(0, octetString(sequence(keyBag))));

  const authSafe = sequence(certificatesInfo, keyInfo);
  const macSalt = randomBytes(16);
  const bmp = bmpPassword(password);
  const macKey = pkcs12Kdf("sha256", bmp, macSalt, iterations, Pkcs12KeyPurpose.mac, 32);
  bmp.fill(0);
  const mac = createHmac("sha256", macKey).update(authSafe).digest();
  macKey.fill(0);
  return sequence(
    integer(3),
    sequence(oid(OID.pkcs7Data), contextConstructed(0, octetString(authSafe))),
    sequence(
      sequence(sequence(oid(OID.sha256), derNull()), octetString(mac)),
      octetString(macSalt),
      integer(iterations),
    ),
  );
}

function parseInputCertificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new InputError(
      "bad_certificate",
      "the certificate for the key file is not a valid X.509 certificate",
    );
  }
}

// ---------------------------------------------------------------- passwords

/** NCA's rule for key file passwords; returns what is wrong, or undefined when the password is fine. */
export function checkKeyFilePassword(password: string): string | undefined {
  const length = [...password].length;
  if (length < 6 || length > 32) return "the password must be 6 to 32 characters long";
  const missing = [
    /\p{Lu}/u.test(password) ? undefined : "an upper-case letter",
    /\p{Ll}/u.test(password) ? undefined : "a lower-case letter",
    /[0-9]/.test(password) ? undefined : "a digit",
  ].filter((item) => item !== undefined);
  if (missing.length === 0) return undefined;
  const list =
    missing.length === 1
      ? missing[0]
      : `${missing.slice(0, -1).join(", ")} and ${missing[missing.length - 1]}`;
  return `the password needs ${list}`;
}
