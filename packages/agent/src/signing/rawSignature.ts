import type { SigningKey } from "@qoltanba/pki";

/** A bare signature (PKCS#1 v1.5 or ECDSA under the key's hash) over data, or over its digest. */
export async function signRaw(
  key: SigningKey,
  input: { data: Buffer } | { digest: Buffer },
): Promise<Buffer> {
  return "data" in input ? key.sign(input.data) : key.signDigest(input.digest);
}
