import { createPublicKey, type KeyObject } from "node:crypto";
import { children, decodeOid, expectTag, readSingle, Tag } from "./der.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";

export type PublicKeyDescription =
  | { readonly algorithm: "rsa"; readonly bits: number; readonly exponent: bigint }
  | { readonly algorithm: "ec"; readonly curve: "P-256" | "P-384" };

/**
 * One acceptable kind of subject key. Each checks the keys of its algorithm OID; GOST plugs in
 * here later as another entry.
 */
export interface KeyAlgorithmPolicy {
  readonly algorithmOid: string;
  check(key: KeyObject): PublicKeyDescription;
}

const RSA_POLICY: KeyAlgorithmPolicy = {
  algorithmOid: OID.rsaEncryption,
  check(key) {
    const details = key.asymmetricKeyDetails ?? {};
    const bits = details.modulusLength ?? 0;
    const exponent = details.publicExponent ?? 0n;
    if (bits < 2048) throw new InputError("weak_key", `RSA key of ${bits} bits is too small: at least 2048 bits are required`);
    if (bits > 8192) throw new InputError("weak_key", `RSA key of ${bits} bits is larger than the 8192 allowed`);
    if (bits % 8 !== 0) throw new InputError("weak_key", `RSA modulus of ${bits} bits is not a whole number of bytes`);
    if (exponent !== 65537n) throw new InputError("weak_key", `RSA public exponent ${exponent} is not allowed: it must be 65537`);
    return { algorithm: "rsa", bits, exponent };
  },
};

const CURVES: Record<string, "P-256" | "P-384"> = { prime256v1: "P-256", secp384r1: "P-384" };

const EC_POLICY: KeyAlgorithmPolicy = {
  algorithmOid: OID.ecPublicKey,
  check(key) {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!curve) {
      throw new InputError("unsupported_key", `EC curve ${key.asymmetricKeyDetails?.namedCurve ?? "(unknown)"} is not allowed: use P-256 or P-384`);
    }
    return { algorithm: "ec", curve };
  },
};

export const DEFAULT_KEY_POLICIES: readonly KeyAlgorithmPolicy[] = [RSA_POLICY, EC_POLICY];

const GOST_KEYS = new Set<string>([OID.gost2004PublicKey, OID.gost2015PublicKey]);

/**
 * OpenSSL 3 decodes an RSA SubjectPublicKeyInfo by trying its decoders in turn (110–200 µs); the
 * RSAPublicKey inside, given as PKCS#1, takes 4 µs. Issuance decodes one key per certificate.
 */
function decodePublicKey(publicKeyInfo: Buffer, algorithmOid: string): KeyObject {
  if (algorithmOid === OID.rsaEncryption) {
    const [, subjectPublicKey] = children(readSingle(publicKeyInfo, Tag.Sequence));
    const bits = expectTag(subjectPublicKey, Tag.BitString, "subjectPublicKey").content;
    if (bits[0] !== 0) throw new InputError("bad_public_key", "public key has unused bits");
    return createPublicKey({ key: bits.subarray(1), format: "der", type: "pkcs1" });
  }
  return createPublicKey({ key: publicKeyInfo, format: "der", type: "spki" });
}

/** Reads a SubjectPublicKeyInfo and checks it against the policies; returns the key and its description. */
export function checkPublicKey(
  publicKeyInfo: Buffer,
  policies: readonly KeyAlgorithmPolicy[] = DEFAULT_KEY_POLICIES,
): { key: KeyObject; description: PublicKeyDescription } {
  let algorithmOid: string;
  try {
    const [algorithm] = children(readSingle(publicKeyInfo, Tag.Sequence));
    const [algorithmId] = children(expectTag(algorithm, Tag.Sequence, "key algorithm"));
    algorithmOid = decodeOid(expectTag(algorithmId, Tag.ObjectIdentifier, "key algorithm OID").content);
  } catch (error) {
    throw new InputError("bad_public_key", `public key is malformed: ${(error as Error).message}`);
  }
  if (GOST_KEYS.has(algorithmOid)) throw new InputError("gost_unsupported", "GOST keys: not supported yet");
  const policy = policies.find((candidate) => candidate.algorithmOid === algorithmOid);
  if (!policy) throw new InputError("unsupported_key", `public key algorithm ${algorithmOid} is not accepted`);
  let key: KeyObject;
  try {
    key = decodePublicKey(publicKeyInfo, algorithmOid);
  } catch {
    throw new InputError("bad_public_key", "public key is malformed");
  }
  return { key, description: policy.check(key) };
}
