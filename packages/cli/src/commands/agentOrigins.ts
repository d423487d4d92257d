import { agentFiles, defaultAgentHome, OriginApprovals } from "@qoltanba/agent";
import { EXIT, type Command, UsageError } from "../command.ts";

export const agentOrigins: Command = {
  usage: `qoltanba agent origins [list | revoke ORIGIN] [--home DIR]

  list            the origins allowed "always" (the default)
  revoke ORIGIN   forget an approval (e.g. https://portal.example.kz, or local); the site is asked again next time`,
  options: { home: { type: "string" } },
  allowPositionals: true,
  async run(values, positionals) {
    const approvals = new OriginApprovals(
      agentFiles((values.home as string | undefined) ?? defaultAgentHome()).origins,
    );
    const [action = "list", origin, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected ${extra.join(" ")}`);
    if (action === "list") {
      if (origin !== undefined) throw new UsageError("list takes no argument");
      for (const entry of await approvals.list())
        process.stdout.write(`${entry.origin}\tapproved ${entry.approvedAt}\n`);
      return EXIT.ok;
    }
    if (action === "revoke") {
      if (!origin) throw new UsageError("revoke needs the ORIGIN to revoke");
      if (!(await approvals.revoke(origin))) {
        process.stderr.write(`qoltanba: ${origin} was not approved\n`);
        return EXIT.problem;
      }
      process.stderr.write(`revoked ${origin}\n`);
      return EXIT.ok;
    }
    throw new UsageError(`unknown action ${action}: use list or revoke`);
  },
};
