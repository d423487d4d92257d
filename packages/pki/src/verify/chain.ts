// Certification path building and validation (RFC 5280 section 6, without policy and name
// constraints processing): from the verified certificate up to any trusted certificate.
import { namesMatch } from "../name.ts";
import type { KeyUsage } from "../profiles/profile.ts";
import type { CertificateFacts } from "./certificate-facts.ts";
import { checkSignature } from "./signature-check.ts";
import { Findings } from "./verdict.ts";

/** What the verified certificate must be fit for, beyond chaining to a trusted root. */
export interface Purpose {
  readonly name: string;
  /** An extended key usage it must list. */
  readonly extendedKeyUsage?: string;
  /** Whether that extension must also be critical (RFC 3161 2.3 for a TSA). */
  readonly criticalExtendedKeyUsage?: boolean;
  /** When keyUsage is present, it must allow one of these. */
  readonly keyUsage?: readonly KeyUsage[];
}

export interface ChainOptions {
  /** Trust anchors: a path may end at any of them, roots or not. */
  readonly trusted: readonly CertificateFacts[];
  /** Certificates that may complete a path but are not trusted themselves. */
  readonly intermediates: readonly CertificateFacts[];
  readonly at: Date;
  readonly purpose?: Purpose;
}

export interface Chain {
  /** The verified certificate first; the trust anchor last when `anchored`. */
  readonly path: readonly CertificateFacts[];
  readonly anchored: boolean;
  readonly findings: Findings;
}

const MAX_DEPTH = 8;
const MAX_PATHS = 64;

export function buildChain(target: CertificateFacts, options: ChainOptions): Chain {
  const isTrusted = (cert: CertificateFacts) => options.trusted.some((anchor) => anchor.info.der.equals(cert.info.der));
  const pool = unique([...options.trusted, ...options.intermediates]);
  const issuersOf = (cert: CertificateFacts) =>
    pool
      .filter((candidate) => namesMatch(candidate.info.subjectName, cert.info.issuerName))
      .sort((a, b) => Number(keyIdMatches(cert, b)) - Number(keyIdMatches(cert, a)));

  const found: Array<{ path: CertificateFacts[]; anchored: boolean }> = [];
  const walk = (path: CertificateFacts[]) => {
    if (found.length >= MAX_PATHS) return;
    const last = path[path.length - 1]!;
    if (isTrusted(last)) return void found.push({ path, anchored: true });
    const next = path.length < MAX_DEPTH ? issuersOf(last).filter((issuer) => !path.some((cert) => cert.info.der.equals(issuer.info.der))) : [];
    if (next.length === 0) return void found.push({ path, anchored: false });
    for (const issuer of next) walk([...path, issuer]);
  };
  walk([target]);

  const evaluated = found.map(({ path, anchored }) => ({ path, anchored, findings: validatePath(path, anchored, options) }));
  const anchoredPaths = evaluated.filter((chain) => chain.anchored);
  if (anchoredPaths.length > 0) {
    return anchoredPaths.find((chain) => chain.findings.ok) ?? anchoredPaths.sort(byFewestProblems)[0]!;
  }
  const longest = evaluated.sort((a, b) => b.path.length - a.path.length)[0]!;
  const last = longest.path[longest.path.length - 1]!;
  longest.findings.problem(
    last.selfIssued
      ? `no chain to a trusted root: ${last.subject} is a root that is not trusted`
      : `no chain to a trusted root: the issuer of ${last.subject} (${last.issuer}) is not among the certificates given`,
  );
  return longest;
}

function unique(certificates: CertificateFacts[]): CertificateFacts[] {
  return certificates.filter((cert, index) => certificates.findIndex((other) => other.info.der.equals(cert.info.der)) === index);
}

const keyIdMatches = (cert: CertificateFacts, issuer: CertificateFacts) =>
  !cert.authorityKeyId || cert.authorityKeyId.equals(issuer.subjectKeyId);

function byFewestProblems(a: { findings: Findings }, b: { findings: Findings }): number {
  return a.findings.problems.length - b.findings.problems.length || a.findings.unsupported.length - b.findings.unsupported.length;
}

function validatePath(path: readonly CertificateFacts[], anchored: boolean, options: ChainOptions): Findings {
  const findings = new Findings();
  const { at } = options;
  path.forEach((cert, index) => {
    if (at < cert.info.notBefore) findings.problem(`${cert.subject}: not valid before ${cert.info.notBefore.toISOString()}`);
    if (at > cert.info.notAfter) findings.problem(`${cert.subject}: expired on ${cert.info.notAfter.toISOString()}`);
    for (const oid of cert.unknownCriticalExtensions) findings.problem(`${cert.subject}: unsupported critical extension ${oid}`);
    // A trusted root verified by itself still has its self-signature checked: the file may be damaged.
    const issuer = path[index + 1] ?? (path.length === 1 && cert.selfIssued ? cert : undefined);
    if (issuer) {
      const outcome = checkSignature(cert.info.signatureAlgorithmOid, cert.info.tbs, cert.info.signature, issuer);
      if ("unsupported" in outcome) findings.cannotCheck(outcome.unsupported);
      else if (!outcome.valid) findings.problem(`${cert.subject}: its signature does not verify with the key of ${issuer.subject}`);
    }
    if (index > 0) checkIssuer(cert, path.slice(1, index), anchored && index === path.length - 1, findings);
  });
  if (options.purpose) checkPurpose(path[0]!, options.purpose, findings);
  return findings;
}

/** An issuer in the path: a CA allowed to sign certificates, within its path length. */
function checkIssuer(cert: CertificateFacts, below: readonly CertificateFacts[], isAnchor: boolean, findings: Findings): void {
  const constraints = cert.basicConstraints;
  // A trust anchor without basicConstraints (an X.509 v1 root) is trusted as it is.
  if (!constraints?.ca && !(isAnchor && !constraints)) findings.problem(`${cert.subject}: is not a CA (basicConstraints cA is not set)`);
  if (cert.keyUsage && !cert.keyUsage.has("keyCertSign")) findings.problem(`${cert.subject}: its keyUsage does not allow signing certificates`);
  const intermediates = below.filter((issued) => !issued.selfIssued).length;
  if (constraints?.pathLength !== undefined && intermediates > constraints.pathLength) {
    findings.problem(`${cert.subject}: pathLenConstraint ${constraints.pathLength} allows fewer CAs below it than ${intermediates}`);
  }
}

function checkPurpose(cert: CertificateFacts, purpose: Purpose, findings: Findings): void {
  const { extendedKeyUsage: eku } = cert;
  if (purpose.extendedKeyUsage && !eku?.purposes.includes(purpose.extendedKeyUsage)) {
    findings.problem(`${cert.subject}: not a ${purpose.name} certificate (extendedKeyUsage lacks ${purpose.extendedKeyUsage})`);
  } else if (purpose.criticalExtendedKeyUsage && !eku?.critical) {
    findings.problem(`${cert.subject}: its extendedKeyUsage must be critical for a ${purpose.name}`);
  }
  if (purpose.keyUsage && cert.keyUsage && !purpose.keyUsage.some((usage) => cert.keyUsage!.has(usage))) {
    findings.problem(`${cert.subject}: its keyUsage does not allow ${purpose.keyUsage.join(" or ")}`);
  }
}
