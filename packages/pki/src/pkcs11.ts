// PKCS#11 facts shared by the CA's HSM signer and the agent's token stores: return-code names, the
// token's PIN flags, and the public key of an RSA key object. No library is loaded here.
import { createPublicKey } from "node:crypto";

/** The PKCS#11 return code's name ("CKR_DEVICE_REMOVED") of an error thrown by pkcs11js, if it is one. */
export function pkcs11ErrorName(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : "";
  return /^CKR_[A-Z_]+$/.test(message) ? message : undefined;
}

/** CK_TOKEN_INFO flags about the user PIN (PKCS#11 v2.40, section 3.2). */
const CKF_USER_PIN_COUNT_LOW = 0x00010000;
const CKF_USER_PIN_FINAL_TRY = 0x00020000;
const CKF_USER_PIN_LOCKED = 0x00040000;

export type PinState = "locked" | "final-try" | "count-low" | "unknown";

/** What the token says about wrong PINs so far; "unknown" when it says nothing (most tokens before a failure). */
export function pinStateOf(tokenFlags: number): PinState {
  if (tokenFlags & CKF_USER_PIN_LOCKED) return "locked";
  if (tokenFlags & CKF_USER_PIN_FINAL_TRY) return "final-try";
  if (tokenFlags & CKF_USER_PIN_COUNT_LOW) return "count-low";
  return "unknown";
}

/** The tries left as words for the person, or "" when the token does not say. */
export function pinStateText(state: PinState): string {
  switch (state) {
    case "locked":
      return "the PIN is now locked";
    case "final-try":
      return "one try left";
    case "count-low":
      return "few tries left";
    case "unknown":
      return "";
  }
}

/** SubjectPublicKeyInfo (DER) of an RSA key object from its CKA_MODULUS and CKA_PUBLIC_EXPONENT. */
export function rsaPublicKeyInfo(modulus: Buffer, exponent: Buffer): Buffer {
  return createPublicKey({
    key: { kty: "RSA", n: modulus.toString("base64url"), e: exponent.toString("base64url") },
    format: "jwk",
  }).export({ type: "spki", format: "der" });
}
