import { currentEnvironment, defaultAgentHome, runDoctor, type Finding } from "@qoltanba/agent";
import { InputError } from "@qoltanba/pki";
import { EXIT, type Command } from "../command.ts";

export const NCALAYER_PORT = 13579;

const MARK: Record<Finding["status"], string> = { ok: "✔", problem: "✖", hint: "ℹ" };

function parsePort(text: string | undefined): number {
  if (text === undefined) return NCALAYER_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535)
    throw new InputError("bad_port", `--port must be a TCP port (1-65535), got ${text}`);
  return port;
}

export const agentDoctor: Command = {
  usage: `qoltanba agent doctor [--home DIR] [--port ${NCALAYER_PORT}] [--tokens]

  Checks what stops websites from reaching the agent, each with its fix: the port (free, or held
  by what), trust of the agent's certificate in every browser store, proxy settings, Chrome's
  Local Network Access prompt. Exit code 0 when all is well, 1 when something needs fixing.

  --home DIR   the agent's folder (default ${defaultAgentHome()})
  --tokens     also check hardware tokens: pcscd installed and running, readers seen by
               pcsc_scan, Kaztoken in the CCID driver's list, libpcsclite.so.1, and each token
               store's PKCS#11 library and the tokens it sees (tokens.json in the agent's folder
               overrides their paths)`,
  options: { home: { type: "string" }, port: { type: "string" }, tokens: { type: "boolean" } },
  async run(values) {
    const port = parsePort(values.port as string | undefined);
    const homeArgument = values.home === undefined ? "" : ` --home ${JSON.stringify(values.home)}`;
    const findings = await runDoctor({
      home: (values.home as string | undefined) ?? defaultAgentHome(),
      port,
      environment: currentEnvironment(),
      startCommand: `qoltanba agent${homeArgument}`,
      trustCommand: `qoltanba agent trust${homeArgument}`,
      tokens: values.tokens === true,
    });
    for (const finding of findings) {
      process.stdout.write(
        `${MARK[finding.status]} ${finding.title}\n${finding.fix ? `    ${finding.status === "hint" ? "" : "fix: "}${finding.fix}\n` : ""}`,
      );
    }
    const problems = findings.filter((finding) => finding.status === "problem").length;
    process.stdout.write(
      problems === 0 ? "All is well.\n" : `${problems} thing${problems === 1 ? "" : "s"} to fix.\n`,
    );
    return problems === 0 ? EXIT.ok : EXIT.problem;
  },
};
