// A verdict as a person reads it in a terminal (`--json` gives the data itself).
import { describeCheck, type CertificateVerdict, type CmsVerdict, type CrlVerdict, type OcspResponseVerdict, type TimeStampVerdict, type Verdict } from "@qoltanba/pki";

export type AnyVerdict = CertificateVerdict | CrlVerdict | OcspResponseVerdict | TimeStampVerdict | CmsVerdict;

const iso = (date: Date) => date.toISOString();

function subjectLines(verdict: AnyVerdict): string[] {
  switch (verdict.kind) {
    case "certificate":
      return [`certificate ${verdict.subject}`, `serial ${verdict.serial}, valid ${iso(verdict.notBefore)} to ${iso(verdict.notAfter)}`];
    case "crl":
      return [
        `${verdict.baseCrlNumber ? `delta CRL #${verdict.crlNumber} over #${verdict.baseCrlNumber}` : `CRL #${verdict.crlNumber}`} of ${verdict.issuer}`,
        `this update ${iso(verdict.thisUpdate)}, next update ${iso(verdict.nextUpdate)}, ${verdict.entries} entries`,
      ];
    case "ocsp":
      return [
        `OCSP response (${verdict.responseStatus})${verdict.producedAt ? ` produced ${iso(verdict.producedAt)}` : ""}${verdict.responder ? ` by ${verdict.responder}` : ""}`,
        ...verdict.responses.map((check) => `says ${check.subject}: ${check.status}${check.revokedAt ? ` since ${iso(check.revokedAt)}${check.reason ? ` (${check.reason})` : ""}` : ""}`),
      ];
    case "timestamp":
      return [
        `time-stamp (${verdict.status})${verdict.genTime ? ` of ${iso(verdict.genTime)}` : ""}${verdict.tsa ? ` by ${verdict.tsa}` : ""}`,
        ...(verdict.serial ? [`serial ${verdict.serial}, policy ${verdict.policy}, ${verdict.hashAlgorithm} imprint ${verdict.messageImprint}`] : []),
      ];
    case "cms":
      return [
        `CMS SignedData (${verdict.detached ? "detached" : "content attached"}), ${verdict.signers.length} signer(s)`,
        ...verdict.signers.map((signer, index) => `signer ${index + 1}: ${signer.verdict} — ${signer.subject ?? "certificate not found"}${signer.signingTime ? `, signed ${iso(signer.signingTime)}` : ""}`),
      ];
  }
}

function chainLines(verdict: Verdict): string[] {
  const [first, ...rest] = verdict.chain;
  if (!first) return [];
  return [`chain: ${first}`, ...rest.map((subject) => `  issued by ${subject}`)];
}

export function formatVerdict(verdict: AnyVerdict): string {
  const checks = verdict.revocation?.checks.map(describeCheck) ?? [];
  const lines = [
    ...subjectLines(verdict),
    `checked for ${iso(verdict.at)}`,
    ...chainLines(verdict),
    ...(verdict.revocation
      ? [`revocation: ${verdict.revocation.status}${verdict.revocation.method ? ` by ${verdict.revocation.method.toUpperCase()}` : ""}`, ...checks.map((check) => `  ${check}`)]
      : []),
    // a revocation check that decided the verdict is shown once, above
    ...verdict.reasons.filter((reason) => !checks.includes(reason)).map((reason) => `- ${reason}`),
  ];
  return `${verdict.verdict.toUpperCase()}\n${lines.map((line) => `  ${line}`).join("\n")}\n`;
}
