// Test-only: RSA certificates under an OpensslCa (whose own `issue` makes P-256 keys), for tests
// that must cover RSA signers as well.
import { createPrivateKey, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fromPemOrDer } from "../pem.ts";
import type { IssuedCertificate, OpensslCa } from "./openssl-ca.ts";

/** Issues an RSA-2048 certificate `/C=KZ/CN=name`; `extensions` are openssl config lines. */
export function issueRsaCertificate(ca: OpensslCa, name: string, extensions: string[]): IssuedCertificate {
  const serial = randomBytes(8);
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  ca.write(`${name}.ext`, extensions.join("\n") + "\n");
  ca.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", `${name}.key`]);
  ca.openssl(["req", "-new", "-key", `${name}.key`, "-subj", `/C=KZ/CN=${name}`, "-out", `${name}.csr`]);
  ca.openssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-days",
    "10",
    "-set_serial",
    "0x" + serial.toString("hex"),
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`,
  ]);
  const path = ca.path(`${name}.pem`);
  return {
    path,
    der: fromPemOrDer(readFileSync(path), ["CERTIFICATE"], name),
    serial,
    key: createPrivateKey(readFileSync(ca.path(`${name}.key`))),
  };
}

/** Where OpensslCa and issueRsaCertificate keep a certificate's private key. */
export const keyPathOf = (certificate: IssuedCertificate): string =>
  certificate.path.replace(/\.pem$/, ".key");
