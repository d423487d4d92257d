// A file the person chose, for the *FromFile methods: hashed by streaming (any size, little
// memory) for detached signatures, read whole only when it is to be attached.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { InputError } from "@qoltanba/pki";

/** An attached signature carries the file; the reply must still fit in one message. */
export const MAX_ATTACHED_FILE_BYTES = 32 * 1024 * 1024;

export async function fileSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a file");
    return info.size;
  } catch {
    throw new InputError("file.not_found", `file not found: ${path}`);
  }
}

export async function sha256OfFile(path: string): Promise<Buffer> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest();
}

export async function readAttachableFile(path: string): Promise<Buffer> {
  if ((await fileSize(path)) > MAX_ATTACHED_FILE_BYTES) {
    throw new InputError(
      "file_too_large",
      `a file over ${MAX_ATTACHED_FILE_BYTES / 1024 / 1024} MiB can only be signed detached`,
    );
  }
  return readFile(path);
}
