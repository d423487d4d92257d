// The `PKCS12` storage: key files (.p12) on disk. Interactively the person picks the file and types
// its password in the agent's dialogs; in unattended mode the files and passwords come from the
// unattended file and are opened once.
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { InputError, localSigningKey, openPkcs12, type Pkcs12Entry } from "@qoltanba/pki";
import type { Dialogs, RequestSummary } from "../dialogs/dialogs.ts";
import { FILE_STORAGE } from "../protocol/messages.ts";
import { certificateFacts } from "./certificateFacts.ts";
import type { KeyCandidate, KeyStore } from "./keyStore.ts";
import { isWrongPassword, type PasswordThrottle } from "./passwordThrottle.ts";

/** Real key files are a few kilobytes. */
const MAX_KEY_FILE_BYTES = 1024 * 1024;
/** Password prompts per request before the request fails. */
const ATTEMPTS_PER_REQUEST = 3;

export interface PresetKeyFile {
  path: string;
  password: string;
}

export async function readKeyFile(path: string): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new InputError("file.not_found", `key file not found: ${path}`);
  }
  if (size > MAX_KEY_FILE_BYTES) throw new InputError("bad_pkcs12", `${path} is too large to be a key file`);
  return readFile(path);
}

export function candidatesOf(entries: readonly Pkcs12Entry[], path: string): KeyCandidate[] {
  return entries.map((entry) => {
    const facts = certificateFacts(entry.certificate);
    const signingKey = localSigningKey(entry.privateKey);
    return {
      facts,
      chain: entry.chain,
      alias: entry.friendlyName ?? facts.keyId,
      location: path,
      unlock: async () => signingKey,
    };
  });
}

/** Key files the person picks and unlocks in the agent's dialogs. */
export class Pkcs12FileStore implements KeyStore {
  readonly name = FILE_STORAGE;
  readonly hardware = false;
  private lastFolder: string | undefined;

  constructor(
    private readonly dialogs: Dialogs,
    private readonly throttle: PasswordThrottle,
  ) {}

  async present(): Promise<boolean> {
    return true;
  }

  async candidates(request: RequestSummary): Promise<KeyCandidate[] | undefined> {
    const chosen = await this.dialogs.chooseFile({
      request,
      title: "Choose your key file",
      extensions: ["p12", "pfx"],
      ...(this.lastFolder ? { startDir: this.lastFolder } : {}),
    });
    if (chosen === undefined) return undefined;
    const path = resolve(chosen);
    const der = await readKeyFile(path);
    this.lastFolder = dirname(path);
    for (let attempt = 0; attempt < ATTEMPTS_PER_REQUEST; attempt++) {
      const password = await this.dialogs.askPassword({
        request,
        target: path,
        failedAttempts: this.throttle.failuresOf(path),
      });
      if (password === undefined) return undefined;
      try {
        const contents = await this.throttle.attempt(path, () => openPkcs12(der, password));
        return candidatesOf(contents.entries, path);
      } catch (error) {
        if (!isWrongPassword(error)) throw error;
      }
    }
    throw new InputError("wrong_password", "wrong password for the key file");
  }
}

/**
 * The key files of the unattended file, and those that enrollment wrote to its keyDir, opened with
 * their passwords on first use and kept open until `forget()`.
 */
export class PresetPkcs12Store implements KeyStore {
  readonly name = FILE_STORAGE;
  readonly hardware = false;
  private opened: Promise<KeyCandidate[]> | undefined;

  constructor(
    private readonly files: readonly PresetKeyFile[],
    private readonly keyFolder?: { dir: string; password: string },
  ) {}

  /** Called after enrollment wrote new key files. */
  forget(): void {
    this.opened = undefined;
  }

  async present(): Promise<boolean> {
    return true;
  }

  candidates(): Promise<KeyCandidate[]> {
    this.opened ??= this.open();
    // A failed opening (wrong password, damaged file) is reported on every request, not cached as empty.
    this.opened.catch(() => (this.opened = undefined));
    return this.opened;
  }

  private async open(): Promise<KeyCandidate[]> {
    const candidates: KeyCandidate[] = [];
    for (const file of [...this.files, ...(await this.keyFolderFiles())]) {
      const path = resolve(file.path);
      const contents = openPkcs12(await readKeyFile(path), file.password);
      candidates.push(...candidatesOf(contents.entries, path));
    }
    return candidates;
  }

  private async keyFolderFiles(): Promise<PresetKeyFile[]> {
    if (!this.keyFolder) return [];
    const { dir, password } = this.keyFolder;
    const names = await readdir(dir).catch(() => []);
    return names
      .filter((name) => name.endsWith(".p12"))
      .sort()
      .map((name) => ({ path: join(dir, name), password }));
  }
}
