// One signature checked with a certificate's key, telling a wrong signature from one this
// verifier cannot check (GOST, unknown algorithms).
import { createPublicKey } from "node:crypto";
import { signatureAlgorithmByOid, verifySignature } from "../algorithms.ts";
import { InputError } from "../errors.ts";
import { OID } from "../oids.ts";
import type { CertificateFacts } from "./certificate-facts.ts";

export const GOST_UNSUPPORTED = "GOST signature: not supported yet";
const GOST_ARC = "1.2.398.3.10.";

export type SignatureOutcome = { readonly valid: boolean } | { readonly unsupported: string };

const KEY_TYPES: Record<string, "rsa" | "ec"> = { [OID.rsaEncryption]: "rsa", [OID.ecPublicKey]: "ec" };

export function checkSignature(
  algorithmOid: string,
  data: Buffer,
  signature: Buffer,
  signer: CertificateFacts,
): SignatureOutcome {
  if (signer.publicKeyAlgorithm.startsWith(GOST_ARC)) return { unsupported: GOST_UNSUPPORTED };
  let algorithm;
  try {
    algorithm = signatureAlgorithmByOid(algorithmOid);
  } catch (error) {
    if (error instanceof InputError) return { unsupported: error.message };
    throw error;
  }
  const keyType = KEY_TYPES[signer.publicKeyAlgorithm];
  if (!keyType) return { unsupported: `public key algorithm ${signer.publicKeyAlgorithm} is not supported` };
  if (keyType !== algorithm.keyType) return { valid: false };
  let key;
  try {
    key = createPublicKey({ key: signer.info.publicKeyInfo, format: "der", type: "spki" });
  } catch {
    return { unsupported: `the public key of ${signer.subject} cannot be read` };
  }
  return { valid: verifySignature(algorithm, data, key, signature) };
}
