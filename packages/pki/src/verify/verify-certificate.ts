// Verifying one certificate: a path to a trusted certificate (completed from authorityInfoAccess
// when the caller can fetch), then revocation. Every other verifier checks its signer this way.
import { fromPemOrDer } from "../pem.ts";
import { type CertificateFacts, certificateFacts } from "./certificate-facts.ts";
import { buildChain, type Chain, type Purpose } from "./chain.ts";
import { checkRevocation, type RevocationSources } from "./revocation-checking.ts";
import { Findings, type RevocationMode, type RevocationSummary, type Verdict } from "./verdict.ts";

export interface VerifyOptions {
  /** Trust anchors (DER). */
  readonly trusted: readonly Buffer[];
  /** Certificates that may complete a path (DER). */
  readonly untrusted?: readonly Buffer[];
  /** The time to verify for; each verifier has its own default. */
  readonly at?: Date;
  /** Defaults to auto: OCSP, then CRLs. */
  readonly revocation?: RevocationMode;
  readonly sources?: RevocationSources;
}

export interface CertificateVerdict extends Verdict {
  readonly kind: "certificate";
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The verification of a signer's certificate, inside a verdict about what it signed. */
export interface SignerCertificateCheck {
  readonly chain: Chain;
  readonly findings: Findings;
  readonly revocation?: RevocationSummary;
}

const MAX_FETCHED_ISSUERS = 4;

export async function verifyCertificate(certificate: Buffer, options: VerifyOptions): Promise<CertificateVerdict> {
  const target = certificateFacts(certificate);
  const at = options.at ?? new Date();
  const { chain, findings, revocation } = await checkSignerCertificate(target, options, at);
  return {
    kind: "certificate",
    ...findings.verdict(revocation),
    chain: chain.path.map((cert) => cert.subject),
    ...(revocation ? { revocation } : {}),
    at,
    subject: target.subject,
    issuer: target.issuer,
    serial: target.serial,
    notBefore: target.info.notBefore,
    notAfter: target.info.notAfter,
  };
}

/** Path validation at `at` and, when the path holds, revocation checking. */
export async function checkSignerCertificate(
  target: CertificateFacts,
  options: VerifyOptions & { readonly extraCertificates?: readonly Buffer[] },
  at: Date,
  purpose?: Purpose,
): Promise<SignerCertificateCheck> {
  const trusted = options.trusted.map((der) => certificateFacts(der));
  const intermediates = [...(options.untrusted ?? []).map((der) => certificateFacts(der)), ...readable(options.extraCertificates ?? [])];
  const fetchNotes: string[] = [];
  let chain = buildChain(target, { trusted, intermediates, at, ...(purpose ? { purpose } : {}) });
  for (let fetched = 0; !chain.anchored && fetched < MAX_FETCHED_ISSUERS; fetched++) {
    const issuer = await fetchIssuer(chain.path[chain.path.length - 1]!, options.sources, fetchNotes);
    if (!issuer || intermediates.some((known) => known.info.der.equals(issuer.info.der))) break;
    intermediates.push(issuer);
    chain = buildChain(target, { trusted, intermediates, at, ...(purpose ? { purpose } : {}) });
  }
  const findings = new Findings();
  findings.absorb(chain.findings);
  fetchNotes.forEach((text) => findings.note(text));
  const revocation = findings.ok ? await checkRevocation(chain.path, options.revocation ?? "auto", options.sources ?? {}, at, findings) : undefined;
  return { chain, findings, ...(revocation ? { revocation } : {}) };
}

/** Certificates carried by a signed object: one that does not parse cannot be in a path. */
function readable(certificates: readonly Buffer[]): CertificateFacts[] {
  return certificates.flatMap((der) => {
    try {
      return [certificateFacts(der)];
    } catch {
      return [];
    }
  });
}

async function fetchIssuer(cert: CertificateFacts, sources: VerifyOptions["sources"], notes: string[]): Promise<CertificateFacts | undefined> {
  if (!sources?.fetchCertificate || cert.selfIssued) return undefined;
  for (const url of cert.caIssuerUrls) {
    try {
      return certificateFacts(fromPemOrDer(await sources.fetchCertificate(url), ["CERTIFICATE"], url));
    } catch (error) {
      notes.push(`the issuer certificate at ${url} could not be used: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return undefined;
}
