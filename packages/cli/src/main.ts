import { EXIT, helpText, parseCommandLine, reportError, type Command } from "./command.ts";

/** The commands, loaded only when run: `qoltanba agent` must not pay for the CA's database drivers. */
interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  { name: "ca init", summary: "Create a CA: RSA-4096 root, issuing CA, OCSP responder and TSA certificates.", load: async () => (await import("./commands/caInit.ts")).caInit },
  { name: "ca cert", summary: "Print one of the CA's certificates as PEM.", load: async () => (await import("./commands/caCert.ts")).caCert },
  { name: "ca issue", summary: "Issue a certificate for a CSR to a verified identity.", load: async () => (await import("./commands/caIssue.ts")).caIssue },
  { name: "ca revoke", summary: "Revoke a certificate, put it on hold, or release a hold.", load: async () => (await import("./commands/caRevoke.ts")).caRevoke },
  { name: "ca crl", summary: "Write the current full or delta CRL (DER) to stdout.", load: async () => (await import("./commands/caCrl.ts")).caCrl },
  { name: "ca audit", summary: "Verify the audit log's hash chain.", load: async () => (await import("./commands/caAudit.ts")).caAudit },
  { name: "ca csr", summary: "A PKCS#10 request for one of the CA's online keys, signed where the key lives (the HSM).", load: async () => (await import("./commands/caCsr.ts")).caCsr },
  { name: "ca api-credentials", summary: "TLS credentials for the CA API between portal nodes and a signer node; the list of portal nodes.", load: async () => (await import("./commands/caApiCredentials.ts")).caApiCredentials },
  { name: "ca ceremony sign-issuing", summary: "Key ceremony: the offline root certifies the issuing CA's key from its request.", load: async () => (await import("./commands/ceremonySignIssuing.ts")).ceremonySignIssuing },
  { name: "ca ceremony root-crl", summary: "Key ceremony: the offline root signs its next CRL.", load: async () => (await import("./commands/ceremonyRootCrl.ts")).ceremonyRootCrl },
  { name: "operator add", summary: "Add a Registration Center operator and print their one-time enrolment link.", load: async () => (await import("./commands/operatorAdd.ts")).operatorAdd },
  { name: "console audit", summary: "Verify the console's log and re-verify every signed decision.", load: async () => (await import("./commands/consoleAudit.ts")).consoleAudit },
  { name: "serve", summary: "Serve the CA over HTTP: certificates, CRLs and the signing services.", load: async () => (await import("./commands/serve.ts")).serve },
  { name: "agent", summary: "Run the local signing agent (NCALayer's protocol on wss://127.0.0.1).", load: async () => (await import("./commands/agent.ts")).agent },
  { name: "agent origins", summary: "List the websites allowed to use the signing agent, or revoke one.", load: async () => (await import("./commands/agentOrigins.ts")).agentOrigins },
  { name: "verify", summary: "Verify a certificate, CRL, OCSP response, time-stamp or CMS signature as a relying party.", load: async () => (await import("./commands/verify.ts")).verify },
  { name: "demo", summary: "Create (or reuse) a demo CA in a local folder and serve it.", load: async () => (await import("./commands/demo.ts")).demo },
  { name: "agent trust", summary: "Make browsers trust the agent's local CA (and given CA roots) for wss://127.0.0.1.", load: async () => (await import("./commands/agentTrust.ts")).agentTrust },
  { name: "agent install", summary: "Start the agent at every login (XDG autostart, LaunchAgent, Run key).", load: async () => (await import("./commands/agentInstall.ts")).agentInstall },
  { name: "agent uninstall", summary: "Stop starting the agent at login and remove the trust it added.", load: async () => (await import("./commands/agentUninstall.ts")).agentUninstall },
  { name: "agent doctor", summary: "Check why a website cannot reach the agent, with the fix for each finding.", load: async () => (await import("./commands/agentDoctor.ts")).agentDoctor },
];

function overview(): string {
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(26)} ${command.summary}`);
  return `qoltanba — a certification authority and its services\n\nUsage: qoltanba COMMAND [options]   (qoltanba COMMAND --help for details)\n\n${lines.join("\n")}\n`;
}

/** The longest command name that the arguments start with ("ca init" before "ca"). */
function findCommand(args: string[]): CommandEntry | undefined {
  const matching = COMMANDS.filter((entry) => entry.name.split(" ").every((word, index) => args[index] === word));
  return matching.sort((a, b) => b.name.length - a.name.length)[0];
}

/** Runs one command line; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const entry = findCommand(args);
  if (!entry) {
    const asked = args.length === 0 || args[0] === "--help" || args[0] === "-h" || args[0] === "help";
    (asked ? process.stdout : process.stderr).write(overview());
    return asked ? EXIT.ok : EXIT.usage;
  }
  try {
    const command = await entry.load();
    const { values, positionals } = parseCommandLine(command, args.slice(entry.name.split(" ").length));
    if (values.help) {
      process.stdout.write(helpText(entry.summary, command));
      return EXIT.ok;
    }
    return await command.run(values as Record<string, string | boolean | undefined>, positionals);
  } catch (error) {
    return reportError(error);
  }
}
