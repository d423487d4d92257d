import {
  currentEnvironment,
  defaultAgentHome,
  discoverTrustStores,
  readAgentCaCertificate,
  removeTrust,
  trustedCertificate,
  uninstallAutostart,
} from "@qoltanba/agent";
import { EXIT, type Command } from "../command.ts";

export const agentUninstall: Command = {
  usage: `qoltanba agent uninstall [--home DIR]

  Stops starting the agent at login and removes the certificates qoltanba agent trust added to
  the trust stores. The agent's folder (approved sites, its TLS keys) stays; delete it to forget them.

  --home DIR   the agent's folder (default ${defaultAgentHome()})`,
  options: { home: { type: "string" } },
  async run(values) {
    const home = (values.home as string | undefined) ?? defaultAgentHome();
    const environment = currentEnvironment();
    const removed = await uninstallAutostart(environment);
    process.stderr.write(
      removed ? "The agent no longer starts at login.\n" : "The agent was not set to start at login.\n",
    );
    const current = await readAgentCaCertificate(home);
    const certificates =
      current === undefined ? [] : [trustedCertificate(current, "the agent's CA certificate")];
    const changes = await removeTrust({ home, stores: await discoverTrustStores(environment), certificates });
    for (const change of changes.filter((item) => item.outcome !== "not present")) {
      process.stderr.write(
        `  ${change.outcome}: ${change.certificate.name} — ${change.store.label}${change.detail ? `\n    ${change.detail}` : ""}\n`,
      );
    }
    process.stderr.write(`Its folder stays: ${home}\n`);
    return changes.some((change) => change.outcome === "failed") ? EXIT.problem : EXIT.ok;
  },
};
