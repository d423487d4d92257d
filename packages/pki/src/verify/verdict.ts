// Verdicts are data: what was decided, why, over which chain, and what revocation said.
import type { RevocationReason } from "../revocation.ts";

export type VerdictKind = "valid" | "invalid" | "revoked" | "unknown" | "unsupported";

/**
 * How to check revocation: `auto` asks OCSP and falls back to CRLs, `both` needs both to answer.
 * The mode applies to the verified certificate; CA certificates above it are checked with CRLs.
 */
export type RevocationMode = "auto" | "ocsp" | "crl" | "both" | "none";
export const REVOCATION_MODES: readonly RevocationMode[] = ["auto", "ocsp", "crl", "both", "none"];

export type RevocationStatus = "good" | "revoked" | "unknown";

/** One answer about one certificate, from one OCSP responder or one set of CRLs. */
export interface RevocationCheck {
  readonly subject: string;
  readonly method: "ocsp" | "crl";
  readonly status: RevocationStatus;
  /** Where the answer came from: a URL, or "given" for a CRL passed in. */
  readonly source?: string;
  readonly revokedAt?: Date;
  readonly reason?: RevocationReason;
  /** Why the status is unknown, or what else a person should know. */
  readonly detail?: string;
}

export interface RevocationSummary {
  readonly status: RevocationStatus;
  /** What decided the verified certificate's status. */
  readonly method?: "ocsp" | "crl" | "ocsp+crl";
  readonly revokedAt?: Date;
  readonly reason?: RevocationReason;
  /** Every check made, for every certificate of the chain. */
  readonly checks: readonly RevocationCheck[];
}

export interface Verdict {
  readonly verdict: VerdictKind;
  readonly reasons: string[];
  /** Subjects from the verified certificate (or signer) up to the trust anchor. */
  readonly chain: string[];
  readonly revocation?: RevocationSummary;
  /** The time the verdict is for. */
  readonly at: Date;
}

/** What a check found, sorted by how it weighs on the verdict. */
export class Findings {
  /** Definite failures: the object is invalid whatever else holds. */
  readonly problems: string[] = [];
  /** What cannot be checked here (GOST): the verdict is unsupported unless something is invalid. */
  readonly unsupported: string[] = [];
  /** Facts worth telling that change nothing. */
  readonly notes: string[] = [];

  problem(text: string): void {
    if (!this.problems.includes(text)) this.problems.push(text);
  }
  cannotCheck(text: string): void {
    if (!this.unsupported.includes(text)) this.unsupported.push(text);
  }
  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }
  absorb(other: Findings, prefix = ""): void {
    other.problems.forEach((text) => this.problem(prefix + text));
    other.unsupported.forEach((text) => this.cannotCheck(text));
    other.notes.forEach((text) => this.note(prefix + text));
  }
  get ok(): boolean {
    return this.problems.length === 0 && this.unsupported.length === 0;
  }
  /** The verdict, given what revocation checking said (when it was done). */
  verdict(revocation?: RevocationSummary): { verdict: VerdictKind; reasons: string[] } {
    if (this.problems.length > 0) return { verdict: "invalid", reasons: [...this.problems, ...this.unsupported, ...this.notes] };
    if (this.unsupported.length > 0) return { verdict: "unsupported", reasons: [...this.unsupported, ...this.notes] };
    const verdict = revocation?.status === "revoked" ? "revoked" : revocation?.status === "unknown" ? "unknown" : "valid";
    const revocationReasons = verdict === "valid" ? [] : revocation!.checks.filter((check) => check.status === revocation!.status).map(describeCheck);
    return { verdict, reasons: [...revocationReasons, ...this.notes] };
  }
}

export function describeCheck(check: RevocationCheck): string {
  const via = `${check.method.toUpperCase()}${check.source ? ` (${check.source})` : ""}`;
  if (check.status === "revoked") {
    return `${check.subject}: revoked at ${check.revokedAt?.toISOString()}${check.reason ? ` (${check.reason})` : ""}, says ${via}`;
  }
  if (check.status === "unknown") return `${check.subject}: revocation status unknown by ${via}: ${check.detail}`;
  return `${check.subject}: good by ${via}: ${check.detail}`;
}
