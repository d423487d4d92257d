import { createPublicKey, type KeyObject } from "node:crypto";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { InputError, localSigningKey, type SigningKey } from "@qoltanba/pki";
import { generateRsaKey, keyFilePath, MIN_KEY_PASSWORD_LENGTH, writeKeyFile } from "./keyFiles.ts";
import { offlineRootKeyPath } from "./offlineRoot.ts";
import type { HsmConfig, HsmKeyPlace } from "./hsmConfig.ts";
import { destroyTokenKey, generateTokenRsaKey, tokenSigningKey } from "./pkcs11Signer.ts";
import { Pkcs11Token } from "./pkcs11Token.ts";
import { CA_KEY_NAMES, type CaKeyName } from "./signer.ts";

/** A freshly generated CA key: its public half to certify, and a way to sign with the private half. */
export interface NewCaKey {
  readonly publicKeyInfo: Buffer;
  readonly signingKey: SigningKey;
}

/** The CA's new keys during `ca init`, wherever they are made, until kept or thrown away. */
export interface NewCaKeys {
  readonly keys: Readonly<Record<CaKeyName, NewCaKey>>;
  /** ca.json's `hsm` when keys are on a token. */
  readonly hsm?: HsmConfig;
  /** Writes what must be written (key files); the HSM keys are already on the token. */
  keep(dir: string): Promise<void>;
  /** Init failed: remove the keys made so far (from the token too: they were never certified). */
  discard(): Promise<void>;
  close(): Promise<void>;
}

/** A token to log in to: its label and its user PIN. */
export interface HsmTokenLogin {
  readonly slotLabel: string;
  readonly pin: string;
}

/** The token(s) the keys are made on: every key on `slotLabel`, or the issuing key on a token of its own. */
export interface HsmKeyOptions extends HsmTokenLogin {
  readonly module: string;
  /**
   * The issuing key's own token (the root's too, when it is not offline): OCSP and TSA stay on
   * `slotLabel`, so a status node is given that token's PIN and cannot sign certificates.
   */
  readonly issuingToken?: HsmTokenLogin;
  /** The token keys are labelled PREFIX + role ("qoltanba-issuing"); a token holds one CA per prefix. */
  readonly keyLabelPrefix?: string;
}

const ROOT_BITS = 4096;

export function checkPassword(password: string | undefined): string {
  if (password === undefined || password.length < MIN_KEY_PASSWORD_LENGTH) {
    throw new InputError(
      "weak_password",
      `the CA key password must have at least ${MIN_KEY_PASSWORD_LENGTH} characters`,
    );
  }
  return password;
}

const localKey = (key: KeyObject): NewCaKey => ({
  publicKeyInfo: createPublicKey(key).export({ type: "spki", format: "der" }),
  signingKey: localSigningKey(key),
});

/** All four keys in encrypted PKCS#8 files in the CA folder (the default). */
export async function newKeyFiles(password: string | undefined, issuingBits: number): Promise<NewCaKeys> {
  const secret = checkPassword(password);
  const generated = await Promise.all(
    CA_KEY_NAMES.map((name) => generateRsaKey(name === "root" ? ROOT_BITS : issuingBits)),
  );
  const objects = Object.fromEntries(CA_KEY_NAMES.map((name, index) => [name, generated[index]!])) as Record<
    CaKeyName,
    KeyObject
  >;
  return {
    keys: Object.fromEntries(CA_KEY_NAMES.map((name) => [name, localKey(objects[name])])) as Record<
      CaKeyName,
      NewCaKey
    >,
    keep: async (dir) => {
      await mkdir(join(dir, "keys"), { mode: 0o700 });
      for (const name of CA_KEY_NAMES) await writeKeyFile(keyFilePath(dir, name), objects[name], secret);
    },
    discard: async () => undefined,
    close: async () => undefined,
  };
}

/**
 * The issuing, OCSP and TSA keys generated inside the HSM (never exported). The root key goes on
 * the token too, unless `rootOffline` names a folder (removable media kept in a safe) where it is
 * written as an encrypted file, away from the online CA folder.
 */
export async function newHsmKeys(
  hsm: HsmKeyOptions,
  issuingBits: number,
  rootOffline: string | undefined,
  password: string | undefined,
): Promise<NewCaKeys> {
  const rootPassword = rootOffline === undefined ? undefined : checkPassword(password);
  if (rootOffline !== undefined) {
    await mkdir(rootOffline, { recursive: true, mode: 0o700 });
    if ((await readdir(rootOffline)).some((entry) => !entry.startsWith("."))) {
      throw new InputError(
        "root_exists",
        `${rootOffline} is not empty: the offline root folder is created once (choose an empty folder)`,
      );
    }
  }
  const tokenOf = await openInitTokens(hsm);
  const tokens = [...new Set([tokenOf("ocsp"), tokenOf("issuing")])];
  const prefix = hsm.keyLabelPrefix ?? "qoltanba-";
  const onToken = CA_KEY_NAMES.filter((name) => name !== "root" || rootOffline === undefined);
  const places = Object.fromEntries(
    onToken.map((name) => [name, { token: tokenOf(name).label, label: `${prefix}${name}` }]),
  ) as Record<CaKeyName, HsmKeyPlace>;
  const made: CaKeyName[] = [];
  const keys: Partial<Record<CaKeyName, NewCaKey>> = {};
  const discard = async () => {
    for (const name of made) await destroyTokenKey(tokenOf(name), places[name].label);
    if (rootOffline !== undefined) {
      for (const entry of await readdir(rootOffline)) await rm(join(rootOffline, entry), { force: true });
    }
  };
  const close = async () => {
    for (const token of tokens) token.close();
  };
  try {
    for (const name of onToken) {
      const { label } = places[name];
      const publicKeyInfo = await generateTokenRsaKey(
        tokenOf(name),
        label,
        name === "root" ? ROOT_BITS : issuingBits,
      );
      made.push(name);
      keys[name] = { publicKeyInfo, signingKey: tokenSigningKey(tokenOf(name), label) };
    }
    const rootFile = rootOffline === undefined ? undefined : await generateRsaKey(ROOT_BITS);
    if (rootFile) keys.root = localKey(rootFile);
    return {
      keys: keys as Record<CaKeyName, NewCaKey>,
      hsm: { module: hsm.module, keys: places },
      keep: async () => {
        if (rootFile && rootOffline !== undefined)
          await writeKeyFile(offlineRootKeyPath(rootOffline), rootFile, rootPassword!);
      },
      discard,
      close,
    };
  } catch (error) {
    await discard().catch(() => undefined);
    await close();
    throw error;
  }
}

/** Logs in to the init's token(s); returns which token each key goes on. */
async function openInitTokens(hsm: HsmKeyOptions): Promise<(name: CaKeyName) => Pkcs11Token> {
  if (hsm.issuingToken?.slotLabel === hsm.slotLabel)
    throw new InputError(
      "hsm_same_token",
      `the issuing key's own token must be another token than "${hsm.slotLabel}"`,
    );
  const status = await Pkcs11Token.open(hsm);
  let issuing = status;
  try {
    if (hsm.issuingToken) issuing = await Pkcs11Token.open({ module: hsm.module, ...hsm.issuingToken });
  } catch (error) {
    status.close();
    throw error;
  }
  return (name) => (name === "issuing" || name === "root" ? issuing : status);
}
