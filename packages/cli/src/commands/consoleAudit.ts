import { openCertificateAuthority } from "@qoltanba/ca";
import { openPortalForCa, type Portal, type Reverification, type SignedAction } from "@qoltanba/portal";
import { EXIT, required, UsageError, type Command } from "../command.ts";

export const consoleAudit: Command = {
  usage: `qoltanba console audit verify --dir DIR

  Recomputes the Registration Center console's hash-chained log (which also holds the personal
  cabinet's logins and signed actions) and re-verifies every signed decision (confirm, reject,
  revoke) and every signed cabinet action (revoke, renew): its CMS signature, the signer's SIGN
  certificate at the time it was made (path to the root, purpose, not revoked then), and that the
  stored record says what was signed. Exit codes: 0 all intact, 1 a problem found (each is
  printed), 2 bad usage, 3 internal error.`,
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
        const decisions = await reverifyAll(portal, "console", "decision", (decision) =>
          portal.console.decisions.reverify(decision),
        );
        const actions = await reverifyAll(portal, "cabinet", "cabinet action", (action) =>
          portal.cabinet.reverify(action),
        );
        process.stdout.write(
          `console log ${problems.length === 0 ? "intact" : "NOT intact"}: ${count} entries; ` +
            `signed decisions: ${decisions.verified} of ${decisions.count} verify; ` +
            `cabinet actions: ${actions.verified} of ${actions.count} verify\n`,
        );
        const intact =
          problems.length === 0 &&
          decisions.verified === decisions.count &&
          actions.verified === actions.count;
        return intact ? EXIT.ok : EXIT.problem;
      } finally {
        await portal.close();
      }
    } finally {
      await ca.close();
    }
  },
};

/** Re-verifies every signed action of one audience, newest first, printing each that fails. */
async function reverifyAll<A extends "console" | "cabinet">(
  portal: Portal,
  audience: A,
  label: string,
  reverify: (action: SignedAction<A>) => Promise<Reverification>,
): Promise<{ count: number; verified: number }> {
  let count = 0;
  let verified = 0;
  for (
    let before: number | undefined, page: SignedAction<A>[];
    (page = await portal.signedActions.list(audience, { limit: 500, ...(before ? { before } : {}) })).length >
    0;
    before = page[page.length - 1]!.id
  )
    for (const action of page) {
      count++;
      const result = await reverify(action);
      if (result.valid) verified++;
      else process.stdout.write(`${label} ${action.id} (${action.kind}): ${result.problems.join("; ")}\n`);
    }
  return { count, verified };
}
