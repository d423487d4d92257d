import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { finished } from "node:stream/promises";
import type { CrlEntrySpool } from "@qoltanba/pki";

/** Writes a chunk to a stream, waiting when its buffer is full, so memory stays bounded. */
export async function writeBounded(out: WriteStream, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
}

/** Largest part of a CRL file read at once (and kept in one database row). */
export const CRL_PART_BYTES = 1024 * 1024;

export async function* fileParts(path: string): AsyncIterable<Buffer> {
  for await (const chunk of createReadStream(path, { highWaterMark: CRL_PART_BYTES })) yield chunk as Buffer;
}

/** A `CrlEntrySpool` in a file of its own; `remove` deletes it, whatever happened. */
export function fileSpool(path: string): CrlEntrySpool & { remove(): Promise<void> } {
  const out = createWriteStream(path);
  return {
    write: (chunk) => writeBounded(out, chunk),
    async *replay() {
      out.end();
      await finished(out);
      yield* fileParts(path);
    },
    async remove() {
      out.destroy();
      await finished(out).catch(() => undefined); // a write under way fails once destroyed: heard here, not thrown
      await rm(path, { force: true });
    },
  };
}
