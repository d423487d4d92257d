import { createHash } from "node:crypto";
import type { DocumentPreview } from "../dialogs/dialogs.ts";

const PREVIEW_CHARACTERS = 2000;
// Text is shown as text only when it has no control characters but tab and line breaks.
const hasControlCharacter = (text: string) =>
  [...text].some((character) => {
    const code = character.charCodeAt(0);
    return (code < 0x20 && character !== "\t" && character !== "\n" && character !== "\r") || code === 0x7f;
  });

/** How one document looks in the agent's dialog: readable text, or its size and SHA-256. */
export function previewOf(data: Buffer): DocumentPreview {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(data.subarray(0, PREVIEW_CHARACTERS * 4));
  const readable = !text.includes("\ufffd") && !hasControlCharacter(text);
  if (!readable) return { kind: "binary", size: data.length, sha256: sha256Hex(data) };
  const truncated = data.length > Buffer.byteLength(text) || text.length > PREVIEW_CHARACTERS;
  return { kind: "text", text: text.slice(0, PREVIEW_CHARACTERS), truncated };
}

export function xmlPreviewOf(xml: string): DocumentPreview {
  return { kind: "xml", text: xml.slice(0, PREVIEW_CHARACTERS), truncated: xml.length > PREVIEW_CHARACTERS };
}

export const digestPreviewOf = (digest: Buffer): DocumentPreview => ({
  kind: "digest",
  sha256: digest.toString("hex"),
});

export const sha256Hex = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

/** A preview as plain text lines, for terminal and native dialogs. */
export function describePreview(preview: DocumentPreview): string {
  switch (preview.kind) {
    case "text":
    case "xml":
      return preview.text + (preview.truncated ? "\n[…]" : "");
    case "binary":
      return `binary data, ${preview.size} bytes, SHA-256 ${preview.sha256}`;
    case "digest":
      return `a precomputed SHA-256 digest: ${preview.sha256}`;
  }
}
