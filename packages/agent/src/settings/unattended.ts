// The unattended file (`qoltanba agent --unattended FILE`): everything the person would otherwise
// decide, for CI, kiosks and tests. Nothing outside it is allowed.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { InputError } from "@qoltanba/pki";
import type { PresetKeyFile } from "../keys/pkcs12FileStore.ts";
import { FILE_STORAGE, HARDWARE_STORAGES } from "../protocol/messages.ts";
import type { HardwareStorage } from "../tokens/tokenProfiles.ts";

/** A key store as the NCALayer protocol names it. */
export type StorageName = typeof FILE_STORAGE | HardwareStorage;
const STORAGE_NAMES: readonly string[] = [FILE_STORAGE, ...HARDWARE_STORAGES];

export interface UnattendedSettings {
  /** Allowed without asking; `local` is a program that sends no Origin header. */
  origins: string[];
  /** Key files the agent may use without a prompt. */
  pkcs12: PresetKeyFile[];
  /** Where generateCsr writes new keys, under keyPassword. */
  keyDir?: string;
  keyPassword?: string;
  /** PINs per token store name (used by the hardware token stores). */
  tokens: Record<string, string>;
  /**
   * The store a request that several stores could answer uses (a person with keys in a folder and
   * on a token picks the token); absent, or not among those present, such a request is cancelled.
   */
  preferredStorage?: StorageName;
  /** What showFileChooser may answer: the first of these with the asked extension. */
  files: string[];
  /** Test setting: accept expired and not-yet-valid certificates. */
  allowInvalidCertificateTime: boolean;
}

const KNOWN_FIELDS = new Set([
  "origins",
  "pkcs12",
  "keyDir",
  "keyPassword",
  "tokens",
  "preferredStorage",
  "files",
  "allowInvalidCertificateTime",
]);

export async function readUnattendedSettings(path: string): Promise<UnattendedSettings> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new InputError("unattended_file", `cannot read the unattended file ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError("unattended_file", `the unattended file ${path} is not JSON`);
  }
  return parseUnattendedSettings(parsed, dirname(resolve(path)));
}

/** Checks the structure; relative paths are taken from `baseDir` (the file's folder). */
export function parseUnattendedSettings(value: unknown, baseDir: string): UnattendedSettings {
  const fail = (message: string): never => {
    throw new InputError("unattended_file", `unattended file: ${message}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("must be a JSON object");
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input))
    if (!KNOWN_FIELDS.has(key)) fail(`unknown field ${JSON.stringify(key)}`);
  const strings = (field: string): string[] => {
    const list = input[field] ?? [];
    if (!Array.isArray(list) || !list.every((item) => typeof item === "string"))
      fail(`${field} must be a list of strings`);
    return list as string[];
  };
  const optionalString = (field: string): string | undefined => {
    const item = input[field];
    if (item !== undefined && typeof item !== "string") fail(`${field} must be a string`);
    return item as string | undefined;
  };
  const pkcs12 = input.pkcs12 ?? [];
  if (!Array.isArray(pkcs12)) fail("pkcs12 must be a list of {path, password}");
  const keyFiles = (pkcs12 as unknown[]).map((entry) => {
    const file = entry as Record<string, unknown>;
    if (typeof file?.path !== "string" || typeof file.password !== "string")
      fail("each pkcs12 entry needs a string path and password");
    return { path: resolve(baseDir, file.path as string), password: file.password as string };
  });
  const tokens = input.tokens ?? {};
  if (
    typeof tokens !== "object" ||
    tokens === null ||
    Array.isArray(tokens) ||
    !Object.values(tokens).every((pin) => typeof pin === "string")
  ) {
    fail("tokens must map store names to PIN strings");
  }
  const keyDir = optionalString("keyDir");
  const keyPassword = optionalString("keyPassword");
  if ((keyDir === undefined) !== (keyPassword === undefined)) fail("keyDir and keyPassword go together");
  const preferredStorage = optionalString("preferredStorage");
  if (preferredStorage !== undefined && !STORAGE_NAMES.includes(preferredStorage))
    fail(
      `preferredStorage ${JSON.stringify(preferredStorage)} is not a storage name: use one of ${STORAGE_NAMES.join(", ")}`,
    );
  const allowInvalid = input.allowInvalidCertificateTime ?? false;
  if (typeof allowInvalid !== "boolean") fail("allowInvalidCertificateTime must be true or false");
  return {
    origins: strings("origins"),
    pkcs12: keyFiles,
    ...(keyDir !== undefined ? { keyDir: resolve(baseDir, keyDir), keyPassword: keyPassword! } : {}),
    tokens: tokens as Record<string, string>,
    ...(preferredStorage !== undefined ? { preferredStorage: preferredStorage as StorageName } : {}),
    files: strings("files").map((file) => resolve(baseDir, file)),
    allowInvalidCertificateTime: allowInvalid as boolean,
  };
}
