import { InputError } from "./errors.ts";

export function toPem(label: string, der: Buffer): string {
  const body = der.toString("base64").replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/**
 * Accepts DER or PEM. With PEM, the label must be one of `labels`; a wrong label is an error that
 * names both, so a private key pasted where a CSR belongs is never silently misread.
 */
export function fromPemOrDer(input: Buffer | string, labels: readonly string[], what: string): Buffer {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  const head = bytes.subarray(0, 64).toString("latin1");
  if (!head.includes("-----BEGIN")) {
    if (bytes.length === 0) throw new InputError("empty", `${what} is empty`);
    if (bytes[0] !== 0x30) throw new InputError("not_der_or_pem", `${what} is neither PEM nor DER`);
    return bytes;
  }
  const match = PEM_BLOCK.exec(bytes.toString("latin1"));
  if (!match) throw new InputError("bad_pem", `${what}: PEM block is not terminated`);
  const label = match[1]!;
  if (!labels.includes(label)) {
    throw new InputError("wrong_pem_label", `${what}: expected PEM label ${labels.join(" or ")}, found ${label}`);
  }
  const base64 = match[2]!.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new InputError("bad_pem", `${what}: PEM body is not base64`);
  const der = Buffer.from(base64, "base64");
  if (der.length === 0) throw new InputError("empty", `${what}: PEM body is empty`);
  return der;
}

const PEM_BLOCKS = new RegExp(PEM_BLOCK.source, "g");

/** Every PEM block labelled one of `labels` (a bundle of certificates), or the one DER value. */
export function allFromPemOrDer(input: Buffer | string, labels: readonly string[], what: string): Buffer[] {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  if (!bytes.subarray(0, 64).toString("latin1").includes("-----BEGIN")) return [fromPemOrDer(bytes, labels, what)];
  const found = [...bytes.toString("latin1").matchAll(PEM_BLOCKS)]
    .filter((match) => labels.includes(match[1]!))
    .map((match) => fromPemOrDer(match[0], labels, what));
  if (found.length === 0) throw new InputError("wrong_pem_label", `${what}: no PEM block labelled ${labels.join(" or ")}`);
  return found;
}

/** Like fromPemOrDer, and also bare base64 of the DER (as NCALayer returns signatures). */
export function fromPemDerOrBase64(input: Buffer | string, labels: readonly string[], what: string): Buffer {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  const text = bytes.toString("latin1").trim();
  if (bytes[0] === 0x30 || text.startsWith("-----BEGIN") || !/^[A-Za-z0-9+/\s]+={0,2}$/.test(text)) {
    return fromPemOrDer(bytes, labels, what);
  }
  const der = Buffer.from(text.replace(/\s+/g, ""), "base64");
  if (der[0] !== 0x30) throw new InputError("not_der_or_pem", `${what} is base64 of something that is not DER`);
  return der;
}
