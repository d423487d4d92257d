import { openCertificateAuthority, TimeStampLog, verifyAuditChain } from "@qoltanba/ca";
import { EXIT, required, UsageError, type Command } from "../command.ts";

export const caAudit: Command = {
  usage: "qoltanba ca audit verify --dir DIR",
  options: { dir: { type: "string" } },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.join(" ") !== "verify") throw new UsageError("the only audit action is: verify");
    const ca = await openCertificateAuthority(required(values, "dir"));
    try {
      const { count, problems: chainProblems } = await verifyAuditChain(ca.store.auditEntries(), await ca.store.auditHead());
      const tokens = await new TimeStampLog(ca.store).check();
      const problems = [...chainProblems, ...tokens.problems];
      for (const { seq, problem } of problems) process.stdout.write(`entry ${seq}: ${problem}\n`);
      if (problems.length > 0) {
        process.stdout.write(`audit log is NOT intact: ${problems.length} problem(s) in ${count} entries\n`);
        return EXIT.problem;
      }
      process.stdout.write(`audit log intact: ${count} entries\n`);
      process.stdout.write(`time-stamp records intact: ${tokens.summarised} summarised, ${tokens.unsummarised} awaiting their summary\n`);
      return EXIT.ok;
    } finally {
      await ca.close();
    }
  },
};
