import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { randomBytes } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { contextConstructed, contextPrimitive, sequence } from "@qoltanba/pki";
import { generateKeys, privateKeyPem, randomSerial, SIGNING_ALGORITHM, validityFrom } from "./keys.ts";
import type { KeyAndCertificate } from "./pemFiles.ts";

export const LOCAL_CA_NAME = "Qoltanba Agent Local CA";
export const LOCAL_CA_VALIDITY_DAYS = 20 * 365;
const NAME_CONSTRAINTS_OID = "2.5.29.30";

function owner(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return hostname();
  }
}

/**
 * NameConstraints permitting only 127.0.0.1, ::1 and localhost: even a stolen key of this CA
 * cannot vouch for any real website.
 */
function loopbackOnlyConstraints(): Buffer {
  const subtree = (generalName: Buffer) => sequence(generalName);
  const ipv4 = Buffer.from([127, 0, 0, 1, 255, 255, 255, 255]);
  const ipv6 = Buffer.concat([Buffer.alloc(15), Buffer.from([1]), Buffer.alloc(16, 0xff)]);
  return sequence(
    contextConstructed(
      0,
      subtree(contextPrimitive(7, ipv4)),
      subtree(contextPrimitive(7, ipv6)),
      subtree(contextPrimitive(2, Buffer.from("localhost", "ascii"))),
    ),
  );
}

/** A new CA for this installation alone, named after its owner plus a random tag so reinstalls never clash. */
export async function createLocalCa(now = new Date()): Promise<KeyAndCertificate> {
  const keys = await generateKeys();
  const commonName = `${LOCAL_CA_NAME} (${owner()} ${randomBytes(4).toString("hex")})`;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [commonName] }, { O: ["Qoltanba"] }],
    ...validityFrom(now, LOCAL_CA_VALIDITY_DAYS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.Extension(NAME_CONSTRAINTS_OID, true, loopbackOnlyConstraints()),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keyPem: await privateKeyPem(keys.privateKey), certificatePem: certificate.toString("pem") + "\n" };
}
