// A child process that opens the CA itself and runs issuance load when its parent says so, so
// several processes (each with its own event loop and connection pool) share one database.
import { openCertificateAuthority } from "@qoltanba/ca";
import { IssuanceLoad, type LoadOptions } from "./issuanceLoad.ts";
import { serverCpuFor } from "./serverCpu.ts";
import type { RunResult } from "./stats.ts";

export type WorkerRequest =
  | {
      type: "open";
      dir: string;
      password: string;
      databaseUrl: string;
      applicants: Array<{
        subject: { iin: string; surname: string; givenName: string; patronymic: string };
        csr: string;
      }>;
    }
  | { type: "run"; options: LoadOptions; startAt: number }
  | { type: "close" };

export type WorkerReply =
  | { type: "opened" }
  | { type: "ran"; result: RunResult; sample: Array<{ serial: string; certificate: string }> }
  | { type: "closed"; issued: number }
  | { type: "failed"; message: string };

const reply = (message: WorkerReply) => process.send!(message);
let opened: { close(): Promise<void>; load: IssuanceLoad } | undefined;

process.on("message", (request: WorkerRequest) => {
  handle(request).catch((error: unknown) =>
    reply({
      type: "failed",
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }),
  );
});

async function handle(request: WorkerRequest): Promise<void> {
  if (request.type === "open") {
    const ca = await openCertificateAuthority(request.dir, {
      password: request.password,
      databaseUrl: request.databaseUrl,
    });
    const applicants = request.applicants.map((applicant) => ({
      subject: applicant.subject,
      csr: Buffer.from(applicant.csr, "base64"),
    }));
    opened = {
      close: () => ca.close(),
      load: new IssuanceLoad(ca, applicants, serverCpuFor(request.databaseUrl)),
    };
    reply({ type: "opened" });
  } else if (request.type === "run") {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, request.startAt - Date.now())));
    const { result, sample } = await opened!.load.run(request.options);
    reply({
      type: "ran",
      result,
      sample: sample.map((entry) => ({
        serial: entry.serial,
        certificate: entry.certificate.toString("base64"),
      })),
    });
  } else {
    await opened?.close();
    reply({ type: "closed", issued: opened?.load.issued ?? 0 });
    process.disconnect();
  }
}
