// Verifying a CMS SignedData (CAdES as NCALayer makes it): each signer's digest and signature,
// the signer certificate's path, purpose and revocation, and any signature time-stamps.
import { verifySignedData } from "../cms-verify.ts";
import { InputError } from "../errors.ts";
import { parseTimeStampToken } from "../tsp.ts";
import { certificateFacts } from "./certificate-facts.ts";
import type { Purpose } from "./chain.ts";
import { GOST_UNSUPPORTED } from "./signature-check.ts";
import { Findings, type Verdict, type VerdictKind } from "./verdict.ts";
import { checkSignerCertificate, type VerifyOptions } from "./verify-certificate.ts";
import { checkToken } from "./verify-timestamp.ts";

export interface SignerVerdict extends Verdict {
  readonly subject?: string;
  readonly signingTime?: Date;
  /** The genTime of each signature time-stamp that verified. */
  readonly timestamps: Date[];
}

export interface CmsVerdict extends Verdict {
  readonly kind: "cms";
  readonly contentType: string;
  readonly detached: boolean;
  readonly signers: SignerVerdict[];
}

export interface CmsVerifyOptions extends VerifyOptions {
  /** The signed content of a detached CMS. */
  readonly detachedContent?: Buffer;
}

const SIGNING_PURPOSE: Purpose = { name: "signing", keyUsage: ["digitalSignature", "nonRepudiation"] };
const SEVERITY: readonly VerdictKind[] = ["invalid", "unsupported", "revoked", "unknown", "valid"];

export async function verifyCms(cms: Buffer, options: CmsVerifyOptions): Promise<CmsVerdict> {
  const verification = verifySignedData(cms, {
    ...(options.detachedContent ? { detachedContent: options.detachedContent } : {}),
    certificates: options.untrusted ?? [],
  });
  const at = options.at ?? new Date();
  const signers: SignerVerdict[] = [];
  for (const signer of verification.signers) {
    const findings = new Findings();
    for (const problem of signer.problems) {
      if (problem === GOST_UNSUPPORTED) findings.cannotCheck(problem);
      else findings.problem(problem);
    }
    const timestamps: Date[] = [];
    for (const token of signer.timestampTokens) {
      const stamp = new Findings();
      try {
        const info = parseTimeStampToken(token);
        await checkToken(token, info, options, info.genTime, stamp);
        if (stamp.ok) timestamps.push(info.genTime);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        stamp.problem(error.message);
      }
      findings.absorb(stamp, "signature time-stamp: ");
    }
    if (!signer.certificate) {
      signers.push({ ...findings.verdict(), chain: [], at, timestamps, ...(signer.signingTime ? { signingTime: signer.signingTime } : {}) });
      continue;
    }
    const facts = certificateFacts(signer.certificate);
    const revocation = findings.ok ? options.revocation : "none";
    const check = await checkSignerCertificate(facts, { ...options, revocation, extraCertificates: verification.certificates }, at, SIGNING_PURPOSE);
    findings.absorb(check.findings);
    signers.push({
      ...findings.verdict(check.revocation),
      chain: check.chain.path.map((cert) => cert.subject),
      ...(check.revocation ? { revocation: check.revocation } : {}),
      at,
      subject: facts.subject,
      ...(signer.signingTime ? { signingTime: signer.signingTime } : {}),
      timestamps,
    });
  }
  const worst = signers.length === 0 ? "invalid" : SEVERITY.find((kind) => signers.some((signer) => signer.verdict === kind))!;
  const reasons =
    signers.length === 0
      ? ["the CMS has no signers"]
      : signers.flatMap((signer, index) => signer.reasons.map((reason) => (signers.length > 1 ? `signer ${index + 1}: ${reason}` : reason)));
  return {
    kind: "cms",
    verdict: worst,
    reasons,
    chain: signers[0]?.chain ?? [],
    ...(signers[0]?.revocation ? { revocation: signers[0].revocation } : {}),
    at,
    contentType: verification.contentType,
    detached: verification.content === undefined,
    signers,
  };
}
