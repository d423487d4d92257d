import { signatureAlgorithmByOid, verifySignature } from "./algorithms.ts";
import { children, decodeOid, DerError, expectTag, readSingle, Tag } from "./der.ts";
import { InputError } from "./errors.ts";
import { checkPublicKey, type KeyAlgorithmPolicy, type PublicKeyDescription } from "./keyPolicy.ts";
import { fromPemOrDer } from "./pem.ts";

export const MAX_CSR_BYTES = 64 * 1024;

/** A CSR whose signature proved possession of the private key and whose key passed the policy. */
export interface VerifiedCsr {
  readonly publicKeyInfo: Buffer;
  readonly publicKey: PublicKeyDescription;
  /** The subject the requester asked for: informational only, certificates never copy it. */
  readonly requestedSubject: Buffer;
}

/**
 * Parses a PKCS#10 request (PEM "CERTIFICATE REQUEST" / "NEW CERTIFICATE REQUEST", or DER), checks
 * its self-signature (proof of possession) and its key against the key policy.
 */
export function verifyCsr(input: Buffer | string, policies?: readonly KeyAlgorithmPolicy[]): VerifiedCsr {
  const size = typeof input === "string" ? Buffer.byteLength(input) : input.length;
  if (size > MAX_CSR_BYTES) throw new InputError("csr_too_large", `CSR is ${size} bytes, more than the ${MAX_CSR_BYTES} allowed`);
  const der = fromPemOrDer(input, ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"], "CSR");
  let info: Buffer, subject: Buffer, publicKeyInfo: Buffer, algorithmOid: string, signature: Buffer;
  try {
    const [infoElement, algorithm, signatureBits] = children(readSingle(der, Tag.Sequence));
    const infoSequence = expectTag(infoElement, Tag.Sequence, "certificationRequestInfo");
    const [version, subjectElement, keyElement] = children(infoSequence);
    if (expectTag(version, Tag.Integer, "version").content.toString("hex") !== "00") throw new DerError("version is not 1");
    subject = expectTag(subjectElement, Tag.Sequence, "subject").raw;
    publicKeyInfo = expectTag(keyElement, Tag.Sequence, "subjectPKInfo").raw;
    const [algorithmId] = children(expectTag(algorithm, Tag.Sequence, "signatureAlgorithm"));
    algorithmOid = decodeOid(expectTag(algorithmId, Tag.ObjectIdentifier, "signature algorithm").content);
    const bits = expectTag(signatureBits, Tag.BitString, "signature").content;
    if (bits[0] !== 0) throw new DerError("signature has unused bits");
    signature = bits.subarray(1);
    info = infoSequence.raw;
  } catch (error) {
    if (error instanceof DerError) throw new InputError("bad_csr", `CSR is malformed: ${error.message}`);
    throw error;
  }
  const { key, description } = checkPublicKey(publicKeyInfo, policies);
  const algorithm = signatureAlgorithmByOid(algorithmOid);
  if (algorithm.hash === "sha1") throw new InputError("weak_csr_signature", "CSR is signed with SHA-1: use SHA-256 or stronger");
  if (algorithm.keyType !== description.algorithm) {
    throw new InputError("bad_csr_signature", "CSR signature algorithm does not match its key");
  }
  if (!verifySignature(algorithm, info, key, signature)) {
    throw new InputError("bad_csr_signature", "CSR signature does not verify: the request was not signed by its key");
  }
  return { publicKeyInfo: Buffer.from(publicKeyInfo), publicKey: description, requestedSubject: Buffer.from(subject) };
}
