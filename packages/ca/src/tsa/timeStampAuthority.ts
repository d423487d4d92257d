import { randomBytes } from "node:crypto";
import {
  type CmsSigner,
  createTimeStampToken,
  InputError,
  isTimeStampFailure,
  normalizeSerial,
  parseCertificate,
  parseTimeStampRequest,
  timeStampFailure,
  timeStampResponse,
  type TimeStampRequest,
} from "@qoltanba/pki";
import type { CertificateAuthority } from "../authority.ts";
import { GroupCommitter } from "../groupCommit.ts";
import { TimeStampLog, type TimeStampRecord } from "../storage/timeStampLog.ts";

export interface TimeStampAuthorityOptions {
  /** How often the tokens recorded since the last summary get their audit entry (and once more at stop). */
  readonly summaryIntervalMilliseconds?: number;
}

export const DEFAULT_TSA_SUMMARY_INTERVAL_MILLISECONDS = 60_000;

/**
 * The CA's RFC 3161 time-stamping authority: signs with the TSA key under the policy and accuracy of
 * ca.json, genTime from the system clock to the millisecond (keep it NTP-synchronised: the accuracy
 * claims it), random 128-bit serials. Each token is recorded before it is returned, group-committed
 * so one transaction carries many under load; the audit log gets a summary per interval (see
 * TimeStampLog).
 */
export class TimeStampAuthority {
  readonly log: TimeStampLog;
  private readonly signer: CmsSigner;
  private readonly tsaName: Buffer;
  private readonly validFrom: number;
  private readonly validUntil: number;
  private readonly committer: GroupCommitter<TimeStampRecord>;
  private readonly timer: NodeJS.Timeout;
  private summarising: Promise<void> | undefined;

  constructor(
    private readonly ca: CertificateAuthority,
    options: TimeStampAuthorityOptions = {},
  ) {
    if (!ca.signer) throw new Error("the TSA signs: open the CA with its key password");
    const certificate = parseCertificate(ca.certificates.tsa);
    this.signer = { certificate: ca.certificates.tsa, key: ca.signer.key("tsa") };
    this.tsaName = certificate.subjectName;
    this.validFrom = certificate.notBefore.getTime();
    this.validUntil = certificate.notAfter.getTime();
    this.log = new TimeStampLog(ca.store);
    this.committer = new GroupCommitter((records) => this.log.record(records));
    this.timer = setInterval(
      () => void this.summarise(),
      options.summaryIntervalMilliseconds ?? DEFAULT_TSA_SUMMARY_INTERVAL_MILLISECONDS,
    );
    this.timer.unref();
  }

  /** A DER TimeStampResp for a DER TimeStampReq. Never throws: every problem is a rejection with its PKIFailureInfo. */
  async respond(query: Buffer): Promise<Buffer> {
    let request: TimeStampRequest;
    try {
      request = parseTimeStampRequest(query);
    } catch (error) {
      return this.refusal(error, "parsing");
    }
    const genTime = new Date();
    if (genTime.getTime() < this.validFrom || genTime.getTime() > this.validUntil) {
      return timeStampFailure("systemFailure", "the TSA certificate is not valid at this time");
    }
    const { tsaPolicy: policy, tsaAccuracy: accuracy } = this.ca.config;
    const serial = randomSerial();
    try {
      const token = await createTimeStampToken({
        request,
        policy,
        serial,
        genTime,
        accuracy,
        tsa: this.signer,
        includeCertificate: request.certReq,
        tsaName: this.tsaName,
      });
      await this.committer.submit({
        serial: serial.toString("hex"),
        genTime,
        policy,
        hashAlgorithm: request.hash,
        messageImprint: request.messageImprint,
      });
      return timeStampResponse(token);
    } catch (error) {
      return this.refusal(error, "issuing");
    }
  }

  /** Writes the audit summaries of every token recorded so far; concurrent calls share one run. */
  summarise(): Promise<void> {
    this.summarising ??= (async () => {
      try {
        while ((await this.log.summarise()) > 0);
      } catch (error) {
        process.emitWarning(
          `time-stamp audit summary failed (retried at the next interval): ${(error as Error).message}`,
        );
      } finally {
        this.summarising = undefined;
      }
    })();
    return this.summarising;
  }

  /** Call after the HTTP server has closed: summarises what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.summarising;
    await this.summarise();
  }

  /** The rejection for an error: InputErrors of the request's own fault carry their PKIFailureInfo, anything else is ours. */
  private refusal(error: unknown, phase: "parsing" | "issuing"): Buffer {
    if (error instanceof InputError) {
      if (isTimeStampFailure(error.code)) return timeStampFailure(error.code, error.message);
      if (phase === "parsing") return timeStampFailure("badRequest", error.message);
    }
    process.emitWarning(`time-stamp failed: ${(error as Error)?.stack ?? String(error)}`);
    return timeStampFailure("systemFailure", "the time-stamp could not be issued; try again later");
  }
}

function randomSerial(): Buffer {
  let serial = normalizeSerial(randomBytes(16));
  while (serial.length === 1 && serial[0] === 0) serial = normalizeSerial(randomBytes(16));
  return serial;
}
