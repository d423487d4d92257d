import { CertificateIssuer, type CertificateAuthority } from "@qoltanba/ca";
import type { Applicant } from "./csrPool.ts";
import { closedLoop } from "./closedLoop.ts";
import type { CpuByPid } from "./serverCpu.ts";
import type { RunResult } from "./stats.ts";

export interface IssuedSample {
  readonly serial: string;
  readonly certificate: Buffer;
}

export interface LoadOptions {
  readonly concurrency: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** How many of the issued certificates to keep for verification. */
  readonly sampleSize: number;
}

const SAMPLE_EVERY = 97;

/**
 * Issues individual-auth certificates through the library call in a closed loop, cycling through
 * the applicants (each IIN always with its own key).
 */
export class IssuanceLoad {
  private readonly issuer: CertificateIssuer;
  /** Every certificate this load got back, warm-up included: the database must hold as many. */
  issued = 0;

  constructor(
    ca: CertificateAuthority,
    private readonly applicants: readonly Applicant[],
    private readonly serverCpu?: () => Promise<CpuByPid>,
  ) {
    this.issuer = new CertificateIssuer(ca);
  }

  async run(options: LoadOptions): Promise<{ result: RunResult; sample: IssuedSample[] }> {
    const sample: IssuedSample[] = [];
    const result = await closedLoop(
      async (index) => {
        const applicant = this.applicants[index % this.applicants.length]!;
        const issued = await this.issuer.issueCertificate({
          csr: applicant.csr,
          profile: "individual-auth",
          subject: applicant.subject,
          storage: "file",
        });
        this.issued++;
        if (index % SAMPLE_EVERY === 0 && sample.length < options.sampleSize)
          sample.push({ serial: issued.serial, certificate: issued.certificate });
      },
      { ...options, ...(this.serverCpu ? { serverCpu: this.serverCpu } : {}) },
    );
    return { result, sample };
  }
}
