import { randomBytes, webcrypto } from "node:crypto";
import { toPem } from "@qoltanba/pki";

/** ECDSA P-256 with SHA-256: accepted by every browser and trust store, and quick to make. */
export const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
export const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;

export async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
}

export async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return toPem("PRIVATE KEY", Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key)));
}

export async function importSigningKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s+/g, ""), "base64");
  return (await webcrypto.subtle.importKey("pkcs8", der, KEY_ALGORITHM, false, [
    "sign",
  ])) as webcrypto.CryptoKey;
}

/** A positive 128-bit serial number in hex (the leading 01 keeps it positive and full length). */
export function randomSerial(): string {
  return `01${randomBytes(15).toString("hex")}`;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Starts validity an hour back so a clock that lags a little still accepts a fresh certificate. */
export function validityFrom(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(now.getTime() - 60 * 60 * 1000),
    notAfter: new Date(now.getTime() + days * DAY_MS),
  };
}
