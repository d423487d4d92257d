import { createPrivateKey, generateKeyPair, type KeyObject } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError, localSigningKey, type SigningKey } from "@qoltanba/pki";
import { keyNotOnThisNode, type CaKeyName, type CaSigner } from "./signer.ts";

export const MIN_KEY_PASSWORD_LENGTH = 12;

export const keyFilePath = (dir: string, name: CaKeyName) => join(dir, "keys", `${name}.key.pem`);

export function generateRsaKey(bits: number): Promise<KeyObject> {
  return new Promise((resolve, reject) =>
    generateKeyPair("rsa", { modulusLength: bits, publicExponent: 65537 }, (error, _publicKey, privateKey) =>
      error ? reject(error) : resolve(privateKey),
    ),
  );
}

/** Encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC), PEM, readable only by its owner. */
export async function writeKeyFile(path: string, key: KeyObject, password: string): Promise<void> {
  const pem = key.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: password });
  await writeFile(path, pem, { mode: 0o600, flag: "wx" });
}

export async function readKeyFile(path: string, password: string): Promise<KeyObject> {
  const pem = await readFile(path);
  try {
    return createPrivateKey({ key: pem, format: "pem", passphrase: password });
  } catch {
    throw new InputError("wrong_key_password", `cannot decrypt ${path}: wrong key password or damaged key file`);
  }
}

/** A CaSigner over the encrypted key files of a CA folder, decrypted once when opened. */
export async function openKeyFileSigner(dir: string, password: string, names: readonly CaKeyName[]): Promise<CaSigner> {
  const keys = new Map<CaKeyName, SigningKey>();
  for (const name of names) keys.set(name, localSigningKey(await readKeyFile(keyFilePath(dir, name), password)));
  return {
    key(name) {
      const key = keys.get(name);
      if (!key) throw keyNotOnThisNode(name, `${keyFilePath(dir, name)} is missing`);
      return key;
    },
  };
}
