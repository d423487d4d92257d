// A document signed through the agent (an attached CMS SignedData, as `basics` sign with format cms
// makes it), checked as the portal must before trusting it: the signature, the signer certificate's
// path to our root at the time asked, its purpose, and its status as the CA records it now.
import {
  certificateFacts,
  checkSignerCertificate,
  fromPemOrDer,
  InputError,
  OID,
  readName,
  verifySignedData,
  type CertificateFacts,
  type Purpose,
} from "@qoltanba/pki";
import type { CaClient } from "../caClient.ts";

/** Why a signed document was refused; `code` is stable, `message` is for people. */
export class SignatureRefused extends InputError {
  override name = "SignatureRefused";
}

export interface SignedDocument {
  /** The signed bytes, as encapsulated in the CMS. */
  readonly content: Buffer;
  readonly certificate: Buffer;
  /** Lowercase hex of the serial, as the CA stores it. */
  readonly serial: string;
  /** The subject's IIN (serialNumber "IIN…"), when it has one. */
  readonly iin?: string;
  readonly facts: CertificateFacts;
}

/** AUTH keys log in (keyUsage digitalSignature, EKU clientAuth); SIGN keys sign decisions (nonRepudiation, emailProtection). */
export const AUTH_PURPOSE: Purpose = {
  name: "authentication",
  extendedKeyUsage: OID.clientAuth,
  keyUsage: ["digitalSignature"],
};
export const SIGN_PURPOSE: Purpose = {
  name: "signing",
  extendedKeyUsage: OID.emailProtection,
  keyUsage: ["nonRepudiation"],
};

const MAX_CMS_BYTES = 64 * 1024;

/** Reads the CMS as the agent returns it: base64 DER or PEM. */
export function decodeCms(text: string): Buffer {
  if (text.length > (MAX_CMS_BYTES * 4) / 3 + 200)
    throw new SignatureRefused("bad_signature", "the signature is too large");
  const trimmed = text.trim();
  if (trimmed.startsWith("-----BEGIN")) return fromPemOrDer(trimmed, ["CMS", "PKCS7"], "signature");
  if (!/^[A-Za-z0-9+/=\s]+$/.test(trimmed))
    throw new SignatureRefused("bad_signature", "the signature is not base64");
  return Buffer.from(trimmed, "base64");
}

export async function verifySignedDocument(
  cms: Buffer,
  options: { readonly ca: CaClient; readonly purpose: Purpose; readonly at: Date },
): Promise<SignedDocument> {
  let verification;
  try {
    verification = verifySignedData(cms);
  } catch (error) {
    if (error instanceof InputError) throw new SignatureRefused("bad_signature", error.message);
    throw error;
  }
  if (verification.signers.length !== 1)
    throw new SignatureRefused("bad_signature", "the signature must have exactly one signer");
  if (!verification.content)
    throw new SignatureRefused("bad_signature", "the signature must carry what it signs (attached CMS)");
  const signer = verification.signers[0]!;
  if (!signer.valid || !signer.certificate)
    throw new SignatureRefused(
      "bad_signature",
      `the signature does not verify: ${signer.problems.join("; ") || "no signer certificate"}`,
    );
  const facts = certificateFacts(signer.certificate);
  const { root, issuing } = options.ca.caCertificates();
  const check = await checkSignerCertificate(
    facts,
    { trusted: [root], untrusted: [issuing], revocation: "none" },
    options.at,
    options.purpose,
  );
  if (!check.findings.ok)
    throw new SignatureRefused(
      "certificate_invalid",
      `the signer certificate is not valid for ${options.purpose.name}: ${[...check.findings.problems, ...check.findings.unsupported].join("; ")}`,
    );
  const record = await options.ca.certificate(facts.serial);
  if (!record || !record.certificate.equals(signer.certificate))
    throw new SignatureRefused("certificate_unknown", "this CA did not issue the signer certificate");
  if (record.revokedAt && record.revokedAt <= options.at && record.revocationReason !== "removeFromCRL")
    throw new SignatureRefused(
      "certificate_revoked",
      `the signer certificate was revoked at ${record.revokedAt.toISOString()} (${record.revocationReason ?? "unspecified"})`,
    );
  const iin = readName(facts.info.subjectName)
    .flat()
    .find((attribute) => attribute.type === OID.serialNumber && /^IIN\d{12}$/.test(attribute.value))
    ?.value.slice(3);
  return {
    content: verification.content,
    certificate: signer.certificate,
    serial: facts.serial,
    ...(iin ? { iin } : {}),
    facts,
  };
}
