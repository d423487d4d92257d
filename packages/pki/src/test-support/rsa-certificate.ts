// Test-only: RSA certificates under an OpensslCa (whose own `issue` makes P-256 keys), for tests
// that must cover RSA signers as well.
import type { IssuedCertificate, OpensslCa } from "./openssl-ca.ts";

/** Issues an RSA-2048 certificate `/C=KZ/CN=name`; `extensions` are openssl config lines. */
export function issueRsaCertificate(ca: OpensslCa, name: string, extensions: string[]): IssuedCertificate {
  return ca.issue(name, extensions, ["rsa:2048"]);
}

/** Where OpensslCa and issueRsaCertificate keep a certificate's private key. */
export const keyPathOf = (certificate: IssuedCertificate): string =>
  certificate.path.replace(/\.pem$/, ".key");
