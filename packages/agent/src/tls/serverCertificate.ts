import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import {
  generateKeys,
  importSigningKey,
  privateKeyPem,
  randomSerial,
  SIGNING_ALGORITHM,
  validityFrom,
} from "./keys.ts";
import type { KeyAndCertificate } from "./pemFiles.ts";

/** Within Apple's and Chrome's 398-day ceiling for TLS server certificates. */
export const SERVER_VALIDITY_DAYS = 397;

/** The agent's TLS certificate for 127.0.0.1, ::1 and localhost, signed by the local CA. */
export async function issueServerCertificate(
  ca: KeyAndCertificate,
  now = new Date(),
): Promise<KeyAndCertificate> {
  const keys = await generateKeys();
  const caCertificate = new x509.X509Certificate(ca.certificatePem);
  const validity = validityFrom(now, SERVER_VALIDITY_DAYS);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: ["localhost"] }, { O: ["Qoltanba Agent"] }],
    issuer: caCertificate.subjectName,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter < caCertificate.notAfter ? validity.notAfter : caCertificate.notAfter,
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(ca.keyPem),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "ip", value: "127.0.0.1" },
        { type: "ip", value: "::1" },
        { type: "dns", value: "localhost" },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keyPem: await privateKeyPem(keys.privateKey), certificatePem: certificate.toString("pem") + "\n" };
}
