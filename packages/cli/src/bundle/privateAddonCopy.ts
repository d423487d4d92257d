// dlopen needs a file, so a native addon the single executable carries as an asset is written out
// once per version. That file is code this process runs: it lives in a folder only this user can
// write, under a name made from its hash, and its bytes are checked against that hash before every load.
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "@qoltanba/pki";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The path of a file in `folder` holding exactly `bytes`, written atomically if missing or different. */
export function privateAddonCopy(bytes: Uint8Array, name: string, folder: string): string {
  const digest = sha256(bytes);
  makePrivateFolder(folder);
  const path = join(folder, `${name}-${digest.slice(0, 32)}.node`);
  if (holds(path, digest)) return path;
  const temporary = join(folder, `.${name}-${randomBytes(8).toString("hex")}.tmp`);
  try {
    writeFileSync(temporary, bytes, { mode: 0o600, flag: "wx" });
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
  if (!holds(path, digest)) throw new InputError("addon_cache", `${path} changed while it was being written`);
  return path;
}

function holds(path: string, digest: string): boolean {
  try {
    return sha256(readFileSync(path)) === digest;
  } catch {
    return false;
  }
}

/** Creates `folder` (mode 0700), or makes an existing one of this user's private; another user's is refused. */
function makePrivateFolder(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  if (process.platform === "win32") return; // %LOCALAPPDATA% is already the user's own
  const status = lstatSync(folder);
  if (!status.isDirectory() || status.uid !== process.getuid?.())
    throw new InputError(
      "addon_cache",
      `${folder} is not a folder of this user's (a link, or owned by someone else): remove it, then try again`,
    );
  if ((status.mode & 0o077) !== 0) chmodSync(folder, 0o700);
}
