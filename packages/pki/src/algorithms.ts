import { constants, createHash, type KeyObject, privateEncrypt, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { derNull, octetString, oid, sequence } from "./der.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";

export type HashName = "sha1" | "sha256" | "sha384" | "sha512";

export interface SignatureAlgorithm {
  readonly oid: string;
  readonly hash: HashName;
  readonly keyType: "rsa" | "ec";
  /** DER AlgorithmIdentifier, ready to splice into a structure. */
  readonly identifier: Buffer;
}

function rsa(algorithmOid: string, hash: HashName): SignatureAlgorithm {
  return { oid: algorithmOid, hash, keyType: "rsa", identifier: sequence(oid(algorithmOid), derNull()) };
}
function ecdsa(algorithmOid: string, hash: HashName): SignatureAlgorithm {
  return { oid: algorithmOid, hash, keyType: "ec", identifier: sequence(oid(algorithmOid)) };
}

export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = [
  rsa("1.2.840.113549.1.1.5", "sha1"),
  rsa(OID.sha256WithRSAEncryption, "sha256"),
  rsa(OID.sha384WithRSAEncryption, "sha384"),
  rsa(OID.sha512WithRSAEncryption, "sha512"),
  ecdsa(OID.ecdsaWithSHA256, "sha256"),
  ecdsa(OID.ecdsaWithSHA384, "sha384"),
  ecdsa(OID.ecdsaWithSHA512, "sha512"),
];

const GOST_SIGNATURES = new Set<string>([OID.gost2004Signature, OID.gost2015Signature]);

export function signatureAlgorithmByOid(algorithmOid: string): SignatureAlgorithm {
  const found = SIGNATURE_ALGORITHMS.find((algorithm) => algorithm.oid === algorithmOid);
  if (found) return found;
  if (GOST_SIGNATURES.has(algorithmOid)) {
    throw new InputError("gost_unsupported", "GOST signature: not supported yet");
  }
  throw new InputError("unsupported_signature_algorithm", `unsupported signature algorithm ${algorithmOid}`);
}

/** The algorithm a CA uses with its own key: SHA-256 for RSA and P-256, SHA-384 for P-384. */
export function defaultSignatureAlgorithm(key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === "rsa") return signatureAlgorithmByOid(OID.sha256WithRSAEncryption);
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return signatureAlgorithmByOid(curve === "secp384r1" ? OID.ecdsaWithSHA384 : OID.ecdsaWithSHA256);
  }
  throw new InputError("unsupported_key", `unsupported key type ${key.asymmetricKeyType}`);
}

/**
 * Anything that signs bytes with one key: the CA's signer for a named key (file or HSM), or a
 * person's key in the agent. Builders in this package take a SigningKey and never see the key.
 */
export interface SigningKey {
  readonly algorithm: SignatureAlgorithm;
  sign(data: Buffer): Promise<Buffer>;
  /**
   * Signs a digest computed elsewhere with `algorithm.hash` (a streamed CRL, a hash sent by a web
   * page). RSA only: ECDSA over a precomputed digest is not offered by Node's crypto.
   */
  signDigest(digest: Buffer): Promise<Buffer>;
}

/** A SigningKey over a private key held in this process; signing runs on libuv's thread pool. */
export function localSigningKey(privateKey: KeyObject, algorithm = defaultSignatureAlgorithm(privateKey)): SigningKey {
  return {
    algorithm,
    sign: (data) =>
      new Promise((resolve, reject) =>
        nodeSign(algorithm.hash, data, privateKey, (error, signature) => (error ? reject(error) : resolve(signature))),
      ),
    signDigest: async (digestBytes) => {
      if (algorithm.keyType !== "rsa") {
        throw new InputError("unsupported_key", "signing a precomputed digest needs an RSA key");
      }
      return privateEncrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([digestInfoPrefix(algorithm.hash, digestBytes.length), digestBytes]),
      );
    },
  };
}

const DIGEST_LENGTHS: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** The DER DigestInfo header that RSASSA-PKCS1-v1_5 puts before the digest (RFC 8017 9.2). */
export function digestInfoPrefix(hash: HashName, digestLength: number): Buffer {
  if (DIGEST_LENGTHS[hash] !== digestLength) {
    throw new InputError("bad_digest_length", `a ${hash} digest is ${DIGEST_LENGTHS[hash]} bytes, got ${digestLength}`);
  }
  const info = sequence(sequence(oid(HASH_OIDS[hash]), derNull()), octetString(Buffer.alloc(digestLength)));
  return info.subarray(0, info.length - digestLength);
}

/** Verifies `signature` over `data` (ECDSA signatures in their DER form, as in X.509). */
export function verifySignature(algorithm: SignatureAlgorithm, data: Buffer, publicKey: KeyObject, signature: Buffer): boolean {
  try {
    return nodeVerify(algorithm.hash, data, publicKey, signature);
  } catch {
    return false;
  }
}

export const digest = (hash: HashName, data: Buffer): Buffer => createHash(hash).update(data).digest();

export const HASH_OIDS: Record<HashName, string> = {
  sha1: OID.sha1,
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
};
