// Verifying an RFC 3161 time-stamp (a TimeStampResp or a bare token): the token's signature and
// ESS signing-certificate reference, the TSA certificate's path and purpose at the stamped time,
// and, when given, that the imprint is over the content.
import { digest } from "../algorithms.ts";
import { berToDer } from "../ber-to-der.ts";
import { verifySignedData } from "../cms-verify.ts";
import { parsingAs } from "../der-parsing.ts";
import { children, readSingle, Tag } from "../der.ts";
import { OID } from "../oids.ts";
import { parseTimeStampResponse, parseTimeStampToken, type TstInfo } from "../tsp.ts";
import { certificateFacts } from "./certificate-facts.ts";
import type { Purpose } from "./chain.ts";
import { GOST_UNSUPPORTED } from "./signature-check.ts";
import { Findings, type RevocationSummary, type Verdict } from "./verdict.ts";
import { checkSignerCertificate, type VerifyOptions } from "./verify-certificate.ts";

export interface TimeStampVerdict extends Verdict {
  readonly kind: "timestamp";
  /** The PKIStatus of a response; "granted" for a bare token. */
  readonly status: string;
  readonly genTime?: Date;
  readonly policy?: string;
  readonly serial?: string;
  readonly hashAlgorithm?: string;
  readonly messageImprint?: string;
  readonly tsa?: string;
}

export interface TimeStampVerifyOptions extends VerifyOptions {
  /** What was time-stamped, to check the imprint against. */
  readonly content?: Buffer;
}

const TSA_PURPOSE: Purpose = { name: "time-stamping authority", extendedKeyUsage: OID.timeStamping, criticalExtendedKeyUsage: true };

export async function verifyTimeStamp(input: Buffer, options: TimeStampVerifyOptions): Promise<TimeStampVerdict> {
  const isToken = parsingAs("bad_timestamp_response", "time-stamp", () => children(readSingle(berToDer(input), Tag.Sequence))[0]?.tag === Tag.ObjectIdentifier);
  let token = input;
  let status = "granted";
  if (!isToken) {
    const response = parseTimeStampResponse(input);
    status = response.status;
    if (!response.token) {
      const why = [response.status, ...response.failures, ...response.statusText].join(": ");
      return { kind: "timestamp", verdict: "invalid", reasons: [`the TSA did not grant a time-stamp (${why})`], chain: [], at: options.at ?? new Date(), status };
    }
    token = response.token;
  }
  const info = parseTimeStampToken(token);
  const at = options.at ?? info.genTime;
  const findings = new Findings();
  const checked = await checkToken(token, info, options, at, findings);
  return {
    kind: "timestamp",
    ...findings.verdict(checked.revocation),
    chain: checked.chain,
    ...(checked.revocation ? { revocation: checked.revocation } : {}),
    at,
    status,
    genTime: info.genTime,
    policy: info.policy,
    serial: info.serialNumber.toString("hex"),
    hashAlgorithm: info.hash ?? info.hashAlgorithm,
    messageImprint: info.messageImprint.toString("hex"),
    ...(checked.tsa ? { tsa: checked.tsa } : {}),
  };
}

export interface TokenCheck {
  /** The TSA certificate's path, its subject first. */
  readonly chain: string[];
  readonly tsa?: string;
  readonly revocation?: RevocationSummary;
}

/** Checks a token whose TSTInfo is `info`; what fails goes to `findings`. Used for CAdES-T stamps too. */
export async function checkToken(token: Buffer, info: TstInfo, options: TimeStampVerifyOptions, at: Date, findings: Findings): Promise<TokenCheck> {
  if (options.content) {
    if (!info.hash) findings.cannotCheck(`imprint algorithm ${info.hashAlgorithm} is not supported`);
    else if (!digest(info.hash, options.content).equals(info.messageImprint)) findings.problem("the time-stamp is not over the given content");
  }
  const verification = verifySignedData(token, { certificates: options.untrusted ?? [] });
  if (verification.signers.length !== 1) {
    findings.problem(`a time-stamp token has one signer, this one has ${verification.signers.length}`);
    return { chain: [] };
  }
  const signer = verification.signers[0]!;
  for (const problem of signer.problems) {
    if (problem === GOST_UNSUPPORTED) findings.cannotCheck(problem);
    else findings.problem(problem);
  }
  if (signer.signingCertificateMatches === undefined && signer.certificate) {
    findings.problem("the token has no ESS signing-certificate attribute naming the TSA's certificate");
  }
  if (!signer.certificate) {
    findings.problem("the TSA's certificate is neither in the token nor among the certificates given");
    return { chain: [] };
  }
  const tsa = certificateFacts(signer.certificate);
  const revocation = findings.ok ? options.revocation : "none"; // no network for a token that already failed
  const check = await checkSignerCertificate(tsa, { ...options, revocation, extraCertificates: verification.certificates }, at, TSA_PURPOSE);
  findings.absorb(check.findings);
  return { chain: check.chain.path.map((cert) => cert.subject), tsa: tsa.subject, ...(check.revocation ? { revocation: check.revocation } : {}) };
}
