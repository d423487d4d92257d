import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fromPemOrDer, InputError } from "@qoltanba/pki";

/** A CA certificate to be trusted for websites, with what stores need to name and find it. */
export interface TrustedCertificate {
  /** The subject's common name: the nickname in NSS databases, the name people see in certificate managers. */
  readonly name: string;
  readonly der: Buffer;
  /** Upper-case hex, as Windows' certutil and macOS' security print it. */
  readonly sha1: string;
  readonly sha256: string;
}

function commonName(certificate: X509Certificate): string {
  const line = certificate.subject.split("\n").find((part) => part.startsWith("CN="));
  return line ? line.slice(3) : certificate.subject.replace(/\n/g, ", ");
}

/** Parses one CA certificate (PEM or DER); anything else is an InputError naming `what`. */
export function trustedCertificate(input: Buffer | string, what: string): TrustedCertificate {
  const der = fromPemOrDer(input, ["CERTIFICATE"], what);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    throw new InputError("bad_certificate", `${what} is not an X.509 certificate`);
  }
  if (!certificate.ca)
    throw new InputError(
      "not_a_ca",
      `${what} is not a CA certificate (${certificate.subject.replace(/\n/g, ", ")})`,
    );
  return {
    name: commonName(certificate),
    der: Buffer.from(certificate.raw),
    sha1: certificate.fingerprint.replace(/:/g, ""),
    sha256: certificate.fingerprint256.replace(/:/g, ""),
  };
}

export async function readTrustedCertificate(path: string): Promise<TrustedCertificate> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new InputError("file_unreadable", `cannot read ${path}: ${(error as Error).message}`);
  }
  return trustedCertificate(bytes, path);
}
