// Revocation checking of a validated path. The network is the caller's: it hands in functions
// that fetch CRLs and ask OCSP responders, so this package does no I/O of its own.
import { randomBytes } from "node:crypto";
import { type ParsedCrl, parseCrl } from "../crl.ts";
import { namesMatch } from "../name.ts";
import { buildOcspRequest, certIdFor, issuerHashes, parseOcspResponse } from "../ocsp.ts";
import type { CertificateFacts } from "./certificate-facts.ts";
import { crlStatus, type StatusAnswer } from "./crl-status.ts";
import { ocspStatus } from "./ocsp-status.ts";
import type { Findings, RevocationCheck, RevocationMode, RevocationSummary } from "./verdict.ts";

export interface RevocationSources {
  /** CRLs (DER) the caller has; an issuer's CRLs are fetched only when none of these is its. */
  readonly crls?: readonly Buffer[];
  /** Replaces the responder URLs the certificates name (as `openssl ocsp -url` does). */
  readonly ocspUrl?: string;
  fetchCrl?(url: string): Promise<Buffer>;
  queryOcsp?(url: string, request: Buffer): Promise<Buffer>;
  /** Fetches a certificate named by authorityInfoAccess caIssuers, to complete a path. */
  fetchCertificate?(url: string): Promise<Buffer>;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Checks every certificate of `path` but the trust anchor: the first with `mode`, the CAs above
 * it with their issuers' CRLs. Checks that could not be made for want of GOST go to `findings`.
 */
export async function checkRevocation(
  path: readonly CertificateFacts[],
  mode: RevocationMode,
  sources: RevocationSources,
  at: Date,
  findings: Findings,
): Promise<RevocationSummary | undefined> {
  if (mode === "none" || path.length < 2) return undefined;
  const crls = new CrlSource(sources);
  const checks: RevocationCheck[] = [];
  const decisive: RevocationCheck[][] = [];
  for (let index = 0; index < path.length - 1; index++) {
    const cert = path[index]!;
    const issuer = path[index + 1]!;
    const record = (method: "ocsp" | "crl", source: string | undefined, answer: StatusAnswer): RevocationCheck => {
      if (answer.unsupported) findings.cannotCheck(answer.detail);
      const check: RevocationCheck = {
        subject: cert.subject,
        method,
        status: answer.status,
        ...(source ? { source } : {}),
        ...(answer.revokedAt ? { revokedAt: answer.revokedAt } : {}),
        ...(answer.reason ? { reason: answer.reason } : {}),
        detail: answer.detail,
      };
      checks.push(check);
      return check;
    };
    const byCrl = async () => {
      const { answer, source } = await crls.status(cert, issuer, at);
      return record("crl", source, answer);
    };
    const byOcsp = async () => {
      const { answer, source } = await askOcsp(cert, issuer, sources, at);
      return record("ocsp", source, answer);
    };
    const certMode = index === 0 ? mode : "crl";
    if (certMode === "crl") decisive.push([await byCrl()]);
    else if (certMode === "ocsp") decisive.push([await byOcsp()]);
    else if (certMode === "both") decisive.push([await byOcsp(), await byCrl()]);
    else {
      const ocsp = await byOcsp();
      if (ocsp.status !== "unknown") decisive.push([ocsp]);
      else {
        const crl = await byCrl();
        if (crl.status !== "unknown") findings.note(`${cert.subject}: OCSP gave no answer (${ocsp.detail}); its CRL was used`);
        decisive.push([crl]);
      }
    }
  }
  const all = decisive.flat();
  const status = all.some((check) => check.status === "revoked") ? "revoked" : all.some((check) => check.status === "unknown") ? "unknown" : "good";
  const target = decisive[0]!;
  const revoked = target.find((check) => check.status === "revoked");
  return {
    status,
    method: target.length === 2 ? "ocsp+crl" : target[0]!.method,
    ...(revoked?.revokedAt ? { revokedAt: revoked.revokedAt } : {}),
    ...(revoked?.reason ? { reason: revoked.reason } : {}),
    checks,
  };
}

async function askOcsp(cert: CertificateFacts, issuer: CertificateFacts, sources: RevocationSources, at: Date) {
  const urls = sources.ocspUrl ? [sources.ocspUrl] : cert.ocspUrls;
  if (urls.length === 0 || !sources.queryOcsp) {
    return { source: undefined, answer: { status: "unknown", detail: urls.length === 0 ? "the certificate names no OCSP responder" : "no network access to ask OCSP" } as StatusAnswer };
  }
  const failures: string[] = [];
  for (const url of urls) {
    const nonce = randomBytes(16);
    const request = buildOcspRequest([certIdFor(issuerHashes(issuer.info.der, "sha1"), Buffer.from(cert.serial, "hex"))], nonce);
    try {
      const answer = ocspStatus(cert, issuer, parseOcspResponse(await sources.queryOcsp(url, request)), at, nonce);
      if (answer.status !== "unknown" || url === urls[urls.length - 1]) return { source: url, answer };
      failures.push(`${url}: ${answer.detail}`);
    } catch (error) {
      failures.push(`${url}: ${messageOf(error)}`);
    }
  }
  return { source: urls.join(", "), answer: { status: "unknown", detail: failures.join("; ") } as StatusAnswer };
}

/** The CRLs given and fetched during one verification, each URL fetched once. */
class CrlSource {
  private readonly given: ParsedCrl[];
  private readonly fetched = new Map<string, Promise<ParsedCrl>>();

  constructor(private readonly sources: RevocationSources) {
    this.given = (sources.crls ?? []).map((der) => parseCrl(der));
  }

  async status(cert: CertificateFacts, issuer: CertificateFacts, at: Date): Promise<{ answer: StatusAnswer; source?: string }> {
    const given = this.given.filter((crl) => namesMatch(crl.issuerName, issuer.info.subjectName));
    if (given.length > 0) return { answer: crlStatus(cert, issuer, given, at), source: "given" };
    if (cert.crlUrls.length === 0) return { answer: { status: "unknown", detail: "the certificate names no CRL distribution point" } };
    const failures: string[] = [];
    const full = await this.first(cert.crlUrls, failures);
    if (!full) return { answer: { status: "unknown", detail: failures.join("; ") }, source: cert.crlUrls.join(", ") };
    const delta = cert.deltaCrlUrls.length > 0 ? await this.first(cert.deltaCrlUrls, failures) : undefined;
    const answer = crlStatus(cert, issuer, delta ? [full.crl, delta.crl] : [full.crl], at);
    return { answer, source: [full.url, ...(delta ? [delta.url] : [])].join(" + ") };
  }

  /** The first of `urls` (mirrors of one CRL) that can be fetched and read. */
  private async first(urls: readonly string[], failures: string[]): Promise<{ url: string; crl: ParsedCrl } | undefined> {
    if (!this.sources.fetchCrl) return void failures.push("no network access to fetch CRLs");
    for (const url of urls) {
      let pending = this.fetched.get(url);
      if (!pending) {
        pending = this.sources.fetchCrl(url).then(parseCrl);
        this.fetched.set(url, pending);
      }
      try {
        return { url, crl: await pending };
      } catch (error) {
        failures.push(`${url}: ${messageOf(error)}`);
      }
    }
    return undefined;
  }
}
