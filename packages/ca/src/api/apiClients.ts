import { readFileSync, statSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { InputError } from "@qoltanba/pki";

/** One portal node allowed to call the CA API: its certificate's SHA-256 (hex) and expiry. */
export interface ApiClientEntry {
  readonly sha256: string;
  readonly notAfter: string;
}

/**
 * The allow-list of portal nodes (api/clients.json in the CA folder): name → certificate. The CA
 * API server checks every request against it, so removing a name (or issuing that name anew)
 * locks the old certificate out at once, even on a connection already open.
 */
export class ApiClientList {
  private cached: { version: string; byFingerprint: Map<string, string> } | undefined;

  constructor(readonly path: string) {}

  async entries(): Promise<Record<string, ApiClientEntry>> {
    const text = await readFile(this.path, "utf8").catch(() => "{}");
    return parse(text, this.path);
  }

  async put(name: string, entry: ApiClientEntry): Promise<void> {
    await this.save({ ...(await this.entries()), [name]: entry });
  }

  async remove(name: string): Promise<void> {
    const entries = await this.entries();
    if (!Object.hasOwn(entries, name)) throw new InputError("unknown_node", `no portal node ${JSON.stringify(name)} in ${this.path}`);
    delete entries[name];
    await this.save(entries);
  }

  /** The node name of an allowed certificate (SHA-256 hex), re-reading the file whenever it changed. */
  nameOf(sha256: string): string | undefined {
    // Saving replaces the file (a new inode), so inode and mtime tell a changed list.
    const stat = statSync(this.path, { throwIfNoEntry: false });
    const version = stat ? `${stat.ino}:${stat.mtimeMs}` : "none";
    if (this.cached?.version !== version) {
      const entries = stat ? parse(readFileSync(this.path, "utf8"), this.path) : {};
      this.cached = { version, byFingerprint: new Map(Object.entries(entries).map(([name, entry]) => [entry.sha256, name])) };
    }
    return this.cached.byFingerprint.get(sha256.toLowerCase());
  }

  private async save(entries: Record<string, ApiClientEntry>): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o644 });
    await rename(temporary, this.path);
  }
}

function parse(text: string, path: string): Record<string, ApiClientEntry> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const valid =
    typeof parsed === "object" &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((entry: Partial<ApiClientEntry>) => typeof entry?.sha256 === "string" && /^[0-9a-f]{64}$/.test(entry.sha256) && typeof entry.notAfter === "string");
  if (!valid) throw new InputError("bad_api_clients", `${path} is not a list of portal nodes ({"NAME": {"sha256", "notAfter"}})`);
  return parsed as Record<string, ApiClientEntry>;
}
