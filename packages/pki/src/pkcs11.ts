// PKCS#11 facts shared by the CA's HSM signer and the agent's token stores: return-code names, the
// token's PIN flags, what an RSA key pair made on a token is asked to be, and the public key and
// key id of an RSA key object. Data in, data out: no library is loaded here.
import { createPublicKey } from "node:crypto";
import { keyIdentifier } from "./certificate.ts";

/** The PKCS#11 return code's name ("CKR_DEVICE_REMOVED") of an error thrown by pkcs11js, if it is one. */
export function pkcs11ErrorName(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : "";
  return /^CKR_[A-Z_]+$/.test(message) ? message : undefined;
}

/** Return codes meaning the token went away or stopped answering: its sessions and handles are gone. */
export const PKCS11_DEVICE_GONE: ReadonlySet<string> = new Set([
  "CKR_DEVICE_ERROR",
  "CKR_DEVICE_REMOVED",
  "CKR_TOKEN_NOT_PRESENT",
  "CKR_TOKEN_NOT_RECOGNIZED",
  "CKR_SESSION_HANDLE_INVALID",
  "CKR_SESSION_CLOSED",
  "CKR_OBJECT_HANDLE_INVALID",
  "CKR_KEY_HANDLE_INVALID",
  "CKR_SLOT_ID_INVALID",
  "CKR_GENERAL_ERROR",
  "CKR_FUNCTION_FAILED",
]);

/** Return codes of a PIN the token refused. */
export const PKCS11_PIN_REFUSED: ReadonlySet<string> = new Set([
  "CKR_PIN_INCORRECT",
  "CKR_PIN_LOCKED",
  "CKR_PIN_LEN_RANGE",
  "CKR_PIN_INVALID",
  "CKR_PIN_EXPIRED",
]);

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

/** PKCS#11 v2.40 numbers used below (pkcs11js's constants of the same names). */
const CKA_TOKEN = 0x001;
const CKA_PRIVATE = 0x002;
const CKA_LABEL = 0x003;
const CKA_ID = 0x102;
const CKA_SENSITIVE = 0x103;
const CKA_DECRYPT = 0x105;
const CKA_UNWRAP = 0x107;
const CKA_SIGN = 0x108;
const CKA_VERIFY = 0x10a;
const CKA_MODULUS = 0x120;
const CKA_MODULUS_BITS = 0x121;
const CKA_PUBLIC_EXPONENT = 0x122;
const CKA_EXTRACTABLE = 0x162;
const CKM_RSA_PKCS_KEY_PAIR_GEN = 0x000;

/** An attribute of a PKCS#11 template, as pkcs11js takes it. */
export interface Pkcs11Attribute {
  readonly type: number;
  readonly value?: boolean | number | string | Buffer;
}

/**
 * C_GenerateKeyPair's mechanism, public and private key templates for an RSA key pair kept on the
 * token: exponent 65537, the private key private, sensitive, never extractable, able only to sign.
 * `attributes` (a CKA_LABEL known beforehand) go on both halves.
 */
export function rsaKeyPairGeneration(
  bits: number,
  attributes: readonly Pkcs11Attribute[] = [],
): [{ mechanism: number }, Pkcs11Attribute[], Pkcs11Attribute[]] {
  const common = [{ type: CKA_TOKEN, value: true }, ...attributes];
  return [
    { mechanism: CKM_RSA_PKCS_KEY_PAIR_GEN },
    [
      ...common,
      { type: CKA_MODULUS_BITS, value: bits },
      { type: CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      { type: CKA_VERIFY, value: true },
    ],
    [
      ...common,
      { type: CKA_PRIVATE, value: true },
      { type: CKA_SENSITIVE, value: true },
      { type: CKA_EXTRACTABLE, value: false },
      { type: CKA_SIGN, value: true },
      { type: CKA_DECRYPT, value: false },
      { type: CKA_UNWRAP, value: false },
    ],
  ];
}

/** The attributes of an RSA public key object that `rsaKeyOf` reads. */
export function rsaPublicKeyAttributes(): Pkcs11Attribute[] {
  return [{ type: CKA_MODULUS }, { type: CKA_PUBLIC_EXPONENT }];
}

/**
 * An RSA key object's SubjectPublicKeyInfo and its key identifier (SHA-1 of the public key, as a
 * certificate's SubjectKeyIdentifier), from the values C_GetAttributeValue gave for
 * `rsaPublicKeyAttributes()`.
 */
export function rsaKeyOf(values: readonly { readonly type: number; readonly value?: Buffer }[]): {
  publicKeyInfo: Buffer;
  id: Buffer;
} {
  const valueOf = (type: number, name: string) => {
    const value = values.find((attribute) => attribute.type === type)?.value;
    if (value === undefined || value.length === 0)
      throw new Error(`the token gave no ${name} for the RSA key`);
    return value;
  };
  const publicKeyInfo = rsaPublicKeyInfo(
    valueOf(CKA_MODULUS, "modulus"),
    valueOf(CKA_PUBLIC_EXPONENT, "public exponent"),
  );
  return { publicKeyInfo, id: keyIdentifier(publicKeyInfo) };
}

/** The template that names a key object: CKA_ID, and CKA_LABEL when given. */
export function keyIdTemplate(id: Buffer, label?: string): Pkcs11Attribute[] {
  return label === undefined
    ? [{ type: CKA_ID, value: id }]
    : [
        { type: CKA_ID, value: id },
        { type: CKA_LABEL, value: label },
      ];
}
