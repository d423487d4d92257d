import { generateKeyPair, sign, type KeyObject } from "node:crypto";
import {
  bitString,
  contextConstructed,
  derNull,
  encodeName,
  integer,
  makeIin,
  OID,
  oid,
  sequence,
} from "@qoltanba/pki";

/** One applicant: a verified identity and a CSR for the applicant's own key. */
export interface Applicant {
  readonly subject: { iin: string; surname: string; givenName: string; patronymic: string };
  /** DER PKCS#10. */
  readonly csr: Buffer;
}

const SHA256_WITH_RSA = sequence(oid(OID.sha256WithRSAEncryption), derNull());

function rsaKeyPair(): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) =>
    generateKeyPair("rsa", { modulusLength: 2048, publicExponent: 65537 }, (error, publicKey, privateKey) =>
      error ? reject(error) : resolve({ publicKey, privateKey }),
    ),
  );
}

/** PKCS#10 with an empty attribute set, signed with SHA-256 (the CA ignores its subject). */
function buildCsr(publicKey: KeyObject, privateKey: KeyObject, commonName: string): Buffer {
  const info = sequence(
    integer(0),
    encodeName([{ type: OID.commonName, value: commonName }]),
    publicKey.export({ type: "spki", format: "der" }),
    contextConstructed(0),
  );
  return sequence(info, SHA256_WITH_RSA, bitString(sign("sha256", info, privateKey)));
}

/**
 * `count` applicants with distinct valid IINs, each with its own RSA-2048 key: a key is reused
 * only for the same IIN, as the CA requires.
 */
export async function makeApplicants(count: number): Promise<Applicant[]> {
  const iins: string[] = [];
  for (let serial = 1; iins.length < count; serial++) {
    const iin = makeIin(new Date(Date.UTC(1990, 0, 1)), "male", serial);
    if (iin !== undefined) iins.push(iin);
  }
  return Promise.all(
    iins.map(async (iin, index) => {
      const { publicKey, privateKey } = await rsaKeyPair();
      const subject = { iin, surname: "ТЕСТОВ", givenName: `ТЕСТ${index}`, patronymic: "ТЕСТОВИЧ" };
      return { subject, csr: buildCsr(publicKey, privateKey, `${subject.surname} ${subject.givenName}`) };
    }),
  );
}
