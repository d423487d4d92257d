// Verifying a CRL: signed by a certificate that chains to a trusted root and may sign CRLs, and
// current at the time asked.
import { parseCrl } from "../crl.ts";
import { formatName, namesMatch } from "../name.ts";
import { certificateFacts } from "./certificate-facts.ts";
import { checkSignature } from "./signature-check.ts";
import { Findings, type Verdict } from "./verdict.ts";
import { checkSignerCertificate, type VerifyOptions } from "./verify-certificate.ts";

export interface CrlVerdict extends Verdict {
  readonly kind: "crl";
  readonly issuer: string;
  readonly crlNumber: string;
  /** For a delta CRL: the full CRL it completes. */
  readonly baseCrlNumber?: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: number;
}

export async function verifyCrlFile(der: Buffer, options: VerifyOptions): Promise<CrlVerdict> {
  const crl = parseCrl(der);
  const at = options.at ?? new Date();
  const issuerName = formatName(crl.issuerName);
  const findings = new Findings();
  let entries = 0;
  for (const _entry of crl.entries()) entries++;
  const candidates = [...options.trusted, ...(options.untrusted ?? [])]
    .map((cert) => certificateFacts(cert))
    .filter((cert) => namesMatch(cert.info.subjectName, crl.issuerName))
    .filter((cert) => !crl.authorityKeyIdentifier || crl.authorityKeyIdentifier.equals(cert.subjectKeyId));
  const outcomes = candidates.map((cert) => ({ cert, outcome: checkSignature(crl.signatureAlgorithm, crl.tbs, crl.signature, cert) }));
  const signer = outcomes.find(({ outcome }) => "valid" in outcome && outcome.valid)?.cert;
  const unsupported = outcomes.find(({ outcome }) => "unsupported" in outcome);
  let chain = [issuerName];
  let revocation;
  if (signer) {
    if (signer.keyUsage && !signer.keyUsage.has("cRLSign")) findings.problem(`${signer.subject}: its keyUsage does not allow signing CRLs`);
    const checked = await checkSignerCertificate(signer, options, at);
    findings.absorb(checked.findings);
    chain = checked.chain.path.map((cert) => cert.subject);
    revocation = checked.revocation;
  } else if (unsupported && "unsupported" in unsupported.outcome) {
    findings.cannotCheck(unsupported.outcome.unsupported);
  } else if (candidates.length > 0) {
    findings.problem(`the CRL's signature does not verify with the key of ${issuerName}`);
  } else {
    findings.problem(`the CRL's issuer ${issuerName} is not among the certificates given`);
  }
  if (crl.thisUpdate > at) findings.problem(`the CRL was issued at ${crl.thisUpdate.toISOString()}, after ${at.toISOString()}`);
  if (crl.nextUpdate < at) findings.problem(`the CRL is out of date: its next update was due ${crl.nextUpdate.toISOString()}`);
  return {
    kind: "crl",
    ...findings.verdict(revocation),
    chain,
    ...(revocation ? { revocation } : {}),
    at,
    issuer: issuerName,
    crlNumber: crl.crlNumber.toString(),
    ...(crl.baseCrlNumber !== undefined ? { baseCrlNumber: crl.baseCrlNumber.toString() } : {}),
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    entries,
  };
}
