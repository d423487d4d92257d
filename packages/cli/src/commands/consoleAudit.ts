import { openCertificateAuthority } from "@qoltanba/ca";
import { openPortalForCa, type Decision } from "@qoltanba/portal";
import { EXIT, required, UsageError, type Command } from "../command.ts";

export const consoleAudit: Command = {
  usage: `qoltanba console audit verify --dir DIR

  Recomputes the Registration Center console's hash-chained log and re-verifies every signed
  decision (confirm, reject, revoke): its CMS signature, the operator's SIGN certificate at the
  time of the decision (path to the root, purpose, not revoked then), and that the stored decision
  says what was signed. Exit codes: 0 all intact, 1 a problem found (each is printed), 2 bad usage,
  3 internal error.`,
  options: { dir: { type: "string" } },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.join(" ") !== "verify") throw new UsageError("the only console audit action is: verify");
    const ca = await openCertificateAuthority(required(values, "dir"));
    try {
      const portal = await openPortalForCa(ca);
      try {
        const { count, problems } = await portal.console.verifyAudit();
        for (const { seq, problem } of problems) process.stdout.write(`entry ${seq}: ${problem}\n`);
        let decisions = 0;
        let bad = 0;
        for (
          let before: number | undefined, page: Decision[];
          (page = await portal.consoleStore.decisions({ limit: 500, ...(before ? { before } : {}) })).length >
          0;
          before = page[page.length - 1]!.id
        ) {
          for (const decision of page) {
            decisions++;
            const result = await portal.console.decisions.reverify(decision);
            if (!result.valid) {
              bad++;
              process.stdout.write(
                `decision ${decision.id} (${decision.kind}): ${result.problems.join("; ")}\n`,
              );
            }
          }
        }
        const intact = problems.length === 0 && bad === 0;
        process.stdout.write(
          `console log ${problems.length === 0 ? "intact" : "NOT intact"}: ${count} entries; signed decisions: ${decisions - bad} of ${decisions} verify\n`,
        );
        return intact ? EXIT.ok : EXIT.problem;
      } finally {
        await portal.close();
      }
    } finally {
      await ca.close();
    }
  },
};
