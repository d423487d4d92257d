// Writing PKCS#10 certification requests (RFC 2986), as the agent does for enrollment.
import type { SigningKey } from "./algorithms.ts";
import { bitString, contextConstructed, integer, sequence } from "./der.ts";

export interface CertificationRequestInput {
  /** DER Name; an empty one (the CA sets the subject from the application) by default. */
  subject?: Buffer;
  /** DER SubjectPublicKeyInfo of `key`. */
  publicKeyInfo: Buffer;
  key: SigningKey;
}

/** A DER CertificationRequest signed by the key it certifies (proof of possession). */
export async function createCertificationRequest(input: CertificationRequestInput): Promise<Buffer> {
  const info = sequence(integer(0), input.subject ?? sequence(), input.publicKeyInfo, contextConstructed(0));
  const signature = await input.key.sign(info);
  return sequence(info, input.key.algorithm.identifier, bitString(signature));
}
