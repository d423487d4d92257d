// Password-based encryption inside PKCS#12 files: the legacy pbeWithSHAAnd... schemes (RFC 7292
// appendix C) that NCA's files use, and PBES2 (RFC 8018) that current OpenSSL and Java write.
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import type { HashName } from "./algorithms.ts";
import {
  BerError,
  type BerElement,
  expectUniversal,
  octets,
  readOid,
  readSmallInteger,
  UniversalTag,
} from "./ber.ts";
import { derNull, integer, octetString, oid, sequence } from "./der.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";
import { bmpPassword, pkcs12Kdf, Pkcs12KeyPurpose } from "./pkcs12-kdf.ts";
import { rc2CbcDecrypt } from "./rc2.ts";

/**
 * Caps the key-derivation work one file may ask for, so that a hostile iteration count is an
 * error rather than a hang.
 */
export class IterationBudget {
  constructor(private left: number) {}

  spend(iterations: number): void {
    if (iterations < 1) throw new BerError("an iteration count must be at least 1");
    if (iterations > this.left) {
      throw new InputError("bad_pkcs12", "the key file asks for more key-derivation iterations than allowed");
    }
    this.left -= iterations;
  }
}

interface LegacyScheme {
  readonly keyLength: number;
  readonly decrypt: (key: Buffer, iv: Buffer, data: Buffer) => Buffer | undefined;
}

const nodeCbc =
  (cipher: string) =>
  (key: Buffer, iv: Buffer, data: Buffer): Buffer | undefined => {
    const decipher = createDecipheriv(cipher, key, iv);
    try {
      return Buffer.concat([decipher.update(data), decipher.final()]);
    } catch {
      return undefined; // bad padding: the wrong key
    }
  };

const rc2Cbc =
  (effectiveBits: number) =>
  (key: Buffer, iv: Buffer, data: Buffer): Buffer | undefined =>
    removePadding(rc2CbcDecrypt(key, effectiveBits, iv, data), 8);

const LEGACY_SCHEMES: Record<string, LegacyScheme> = {
  [OID.pbeWithSHAAnd3KeyTripleDESCBC]: { keyLength: 24, decrypt: nodeCbc("des-ede3-cbc") },
  [OID.pbeWithSHAAnd2KeyTripleDESCBC]: { keyLength: 16, decrypt: nodeCbc("des-ede-cbc") },
  [OID.pbeWithSHAAnd128BitRC2CBC]: { keyLength: 16, decrypt: rc2Cbc(128) },
  [OID.pbeWithSHAAnd40BitRC2CBC]: { keyLength: 5, decrypt: rc2Cbc(40) },
};

interface Pbes2Cipher {
  readonly name: string;
  readonly keyLength: number;
  readonly ivLength: number;
}

const PBES2_CIPHERS: Record<string, Pbes2Cipher> = {
  [OID.aes128Cbc]: { name: "aes-128-cbc", keyLength: 16, ivLength: 16 },
  [OID.aes192Cbc]: { name: "aes-192-cbc", keyLength: 24, ivLength: 16 },
  [OID.aes256Cbc]: { name: "aes-256-cbc", keyLength: 32, ivLength: 16 },
  [OID.desEde3Cbc]: { name: "des-ede3-cbc", keyLength: 24, ivLength: 8 },
};

const PBKDF2_PRFS: Record<string, HashName> = {
  [OID.hmacWithSHA1]: "sha1",
  [OID.hmacWithSHA256]: "sha256",
  [OID.hmacWithSHA384]: "sha384",
  [OID.hmacWithSHA512]: "sha512",
};

function removePadding(plain: Buffer, blockSize: number): Buffer | undefined {
  const padding = plain[plain.length - 1];
  if (padding === undefined || padding < 1 || padding > blockSize) return undefined;
  for (let i = plain.length - padding; i < plain.length; i++) if (plain[i] !== padding) return undefined;
  return plain.subarray(0, plain.length - padding);
}

function requireWholeBlocks(data: Buffer, blockSize: number): void {
  if (data.length === 0 || data.length % blockSize !== 0)
    throw new BerError("encrypted data is not whole cipher blocks");
}

/**
 * Decrypts `data` under the AlgorithmIdentifier `algorithm`. Returns undefined when the padding
 * does not check out, which is what a wrong password looks like.
 */
export function pbeDecrypt(
  algorithm: BerElement,
  data: Buffer,
  password: string,
  budget: IterationBudget,
): Buffer | undefined {
  expectUniversal(algorithm, UniversalTag.sequence, "encryption algorithm");
  const algorithmOid = readOid(algorithm.children[0], "encryption algorithm OID");
  const parameters = algorithm.children[1];
  if (algorithmOid === OID.pbes2) return pbes2Decrypt(parameters, data, password, budget);
  const legacy = LEGACY_SCHEMES[algorithmOid];
  if (!legacy) throw new BerError(`unsupported encryption algorithm ${algorithmOid}`);
  expectUniversal(parameters, UniversalTag.sequence, "PBE parameters");
  const salt = octets(expectUniversal(parameters!.children[0], UniversalTag.octetString, "PBE salt"));
  const iterations = readSmallInteger(parameters!.children[1], "PBE iteration count");
  requireWholeBlocks(data, 8);
  budget.spend(2 * iterations);
  const bmp = bmpPassword(password);
  const key = pkcs12Kdf("sha1", bmp, salt, iterations, Pkcs12KeyPurpose.key, legacy.keyLength);
  const iv = pkcs12Kdf("sha1", bmp, salt, iterations, Pkcs12KeyPurpose.iv, 8);
  bmp.fill(0);
  try {
    return legacy.decrypt(key, iv, data);
  } finally {
    key.fill(0);
  }
}

function pbes2Decrypt(
  parameters: BerElement | undefined,
  data: Buffer,
  password: string,
  budget: IterationBudget,
): Buffer | undefined {
  expectUniversal(parameters, UniversalTag.sequence, "PBES2 parameters");
  const [kdf, scheme] = parameters!.children;
  expectUniversal(kdf, UniversalTag.sequence, "PBES2 key derivation function");
  const kdfOid = readOid(kdf!.children[0], "PBES2 key derivation function OID");
  if (kdfOid !== OID.pbkdf2) throw new BerError(`unsupported PBES2 key derivation function ${kdfOid}`);
  expectUniversal(scheme, UniversalTag.sequence, "PBES2 encryption scheme");
  const cipherOid = readOid(scheme!.children[0], "PBES2 cipher OID");
  const cipher = PBES2_CIPHERS[cipherOid];
  if (!cipher) throw new BerError(`unsupported PBES2 cipher ${cipherOid}`);
  const iv = octets(expectUniversal(scheme!.children[1], UniversalTag.octetString, "PBES2 IV"));
  if (iv.length !== cipher.ivLength) throw new BerError("the PBES2 IV has the wrong length");

  // PBKDF2-params ::= SEQUENCE { salt, iterationCount, keyLength OPTIONAL, prf DEFAULT hmacWithSHA1 }
  const pbkdf2Parameters = expectUniversal(kdf!.children[1], UniversalTag.sequence, "PBKDF2 parameters");
  const [saltElement, iterationsElement, ...optional] = pbkdf2Parameters.children;
  const salt = octets(expectUniversal(saltElement, UniversalTag.octetString, "PBKDF2 salt"));
  const iterations = readSmallInteger(iterationsElement, "PBKDF2 iteration count");
  let prf: HashName = "sha1";
  for (const element of optional) {
    if (element.tagNumber === UniversalTag.integer) {
      if (readSmallInteger(element, "PBKDF2 key length") !== cipher.keyLength) {
        throw new BerError("the PBKDF2 key length does not fit the cipher");
      }
    } else {
      const prfOid = readOid(
        expectUniversal(element, UniversalTag.sequence, "PBKDF2 PRF").children[0],
        "PBKDF2 PRF OID",
      );
      const hash = PBKDF2_PRFS[prfOid];
      if (!hash) throw new BerError(`unsupported PBKDF2 PRF ${prfOid}`);
      prf = hash;
    }
  }
  requireWholeBlocks(data, cipher.ivLength);
  budget.spend(iterations);
  // PBES2 takes the password as its UTF-8 bytes, as OpenSSL and Java do.
  const key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, cipher.keyLength, prf);
  try {
    return nodeCbc(cipher.name)(key, iv, data);
  } finally {
    key.fill(0);
  }
}

/** PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC: the DER AlgorithmIdentifier and the ciphertext. */
export function pbes2Encrypt(
  data: Buffer,
  password: string,
  iterations: number,
): { algorithm: Buffer; encrypted: Buffer } {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  const encrypted = Buffer.concat([cipher.update(data), cipher.final()]);
  key.fill(0);
  const algorithm = sequence(
    oid(OID.pbes2),
    sequence(
      sequence(
        oid(OID.pbkdf2),
        sequence(octetString(salt), integer(iterations), sequence(oid(OID.hmacWithSHA256), derNull())),
      ),
      sequence(oid(OID.aes256Cbc), octetString(iv)),
    ),
  );
  return { algorithm, encrypted };
}
