// Verifying a stored OCSP response: signed by the issuer of the certificates it is about, or by a
// responder that issuer delegated to, with the issuer chaining to a trusted root. The verdict
// carries what the response says: revoked when it says a certificate is revoked.
import { certIdMatches, issuerHashes, parseOcspResponse } from "../ocsp.ts";
import { type CertificateFacts, certificateFacts } from "./certificate-facts.ts";
import { authenticateOcspResponse } from "./ocsp-status.ts";
import { Findings, type RevocationCheck, type RevocationSummary, type Verdict } from "./verdict.ts";
import { checkSignerCertificate, type VerifyOptions } from "./verify-certificate.ts";

export interface OcspResponseVerdict extends Verdict {
  readonly kind: "ocsp";
  readonly responseStatus: string;
  readonly producedAt?: Date;
  readonly responder?: string;
  /** The answers about certificates of the issuer, one per SingleResponse. */
  readonly responses: RevocationCheck[];
}

export interface OcspVerifyOptions extends VerifyOptions {
  /** The issuer of the certificates the response is about; else looked for among the given certificates. */
  readonly issuer?: Buffer;
}

export async function verifyOcspResponseFile(der: Buffer, options: OcspVerifyOptions): Promise<OcspResponseVerdict> {
  const response = parseOcspResponse(der);
  if (response.status !== "successful") {
    const at = options.at ?? new Date();
    return { kind: "ocsp", verdict: "unknown", reasons: [`the responder answered ${response.status}`], chain: [], at, responseStatus: response.status, responses: [] };
  }
  const at = options.at ?? response.producedAt;
  const findings = new Findings();
  const given = [options.issuer, ...options.trusted, ...(options.untrusted ?? [])].flatMap((cert) => (cert ? [certificateFacts(cert)] : []));
  const covers = (issuer: CertificateFacts) =>
    response.responses.some((single) => certIdMatches(single.certId, issuerHashes(issuer.info.der, single.certId.hashAlgorithm)));
  const issuer = (options.issuer ? given.slice(0, 1) : given).find(covers);
  const base = { kind: "ocsp" as const, at, responseStatus: response.status, producedAt: response.producedAt };
  if (!issuer) {
    const problem = options.issuer
      ? "the response is not about certificates of the given issuer"
      : "the issuer of the certificates the response is about is not among the certificates given (--issuer)";
    return { ...base, verdict: "invalid", reasons: [problem], chain: [], responses: [] };
  }
  const responder = authenticateOcspResponse(response, issuer);
  const issuerCheck = await checkSignerCertificate(issuer, options, at);
  const chain = issuerCheck.chain.path.map((cert) => cert.subject);
  if ("problem" in responder) findings.problem(responder.problem);
  if ("unsupported" in responder) findings.cannotCheck(responder.unsupported);
  if ("signer" in responder && responder.signer !== issuer) {
    chain.unshift(responder.signer.subject);
    if (!responder.signer.ocspNoCheck) findings.note(`the responder certificate has no ocsp-nocheck extension; its own status was not checked`);
  }
  findings.absorb(issuerCheck.findings);
  const responses: RevocationCheck[] = response.responses
    .filter((single) => certIdMatches(single.certId, issuerHashes(issuer.info.der, single.certId.hashAlgorithm)))
    .map((single) => {
      const subject = `serial ${single.certId.serial.toString("hex")} of ${issuer.subject}`;
      const stale = single.nextUpdate && single.nextUpdate < at;
      const { status } = single;
      return {
        subject,
        method: "ocsp",
        status: stale ? "unknown" : status.kind,
        source: `response produced ${response.producedAt.toISOString()}`,
        ...(status.kind === "revoked" ? { revokedAt: status.revokedAt, ...(status.reason ? { reason: status.reason } : {}) } : {}),
        detail: stale ? `out of date: its next update was due ${single.nextUpdate!.toISOString()}` : `for ${single.thisUpdate.toISOString()}`,
      };
    });
  const checks = [...responses, ...(issuerCheck.revocation?.checks ?? [])];
  const statuses = [...responses.map((check) => check.status), ...(issuerCheck.revocation ? [issuerCheck.revocation.status] : [])];
  const revocation: RevocationSummary = {
    status: statuses.includes("revoked") ? "revoked" : statuses.includes("unknown") ? "unknown" : "good",
    method: "ocsp",
    checks,
  };
  // What an unchecked response says is shown in `responses`, but decides nothing.
  return {
    ...base,
    ...findings.verdict(findings.ok ? revocation : undefined),
    chain,
    ...(findings.ok ? { revocation } : {}),
    ...("signer" in responder ? { responder: responder.signer.subject } : {}),
    responses,
  };
}
