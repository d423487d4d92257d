/** A private key and its certificate, both PEM, kept together in one file so one rename replaces both. */
export interface KeyAndCertificate {
  readonly keyPem: string;
  readonly certificatePem: string;
}

const KEY_BLOCK = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n?/;
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/;

export function joinKeyAndCertificate(pair: KeyAndCertificate): string {
  return pair.keyPem + pair.certificatePem;
}

/** Splits a file written by joinKeyAndCertificate; undefined when either block is missing. */
export function splitKeyAndCertificate(text: string): KeyAndCertificate | undefined {
  const key = KEY_BLOCK.exec(text)?.[0];
  const certificate = CERTIFICATE_BLOCK.exec(text)?.[0];
  return key && certificate ? { keyPem: key, certificatePem: certificate } : undefined;
}
