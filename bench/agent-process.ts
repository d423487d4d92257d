// The agent alone in its own process for agent.bench.ts: unattended file and TLS files from argv.
// Usage: node --import tsx bench/agent-process.ts UNATTENDED.json KEY.pem CERT.pem
import { readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readUnattendedSettings, startAgent } from "../packages/agent/src/index.ts";

const [settingsPath, keyPath, certificatePath] = process.argv.slice(2) as [string, string, string];
const server = await startAgent({
  home: mkdtempSync(join(tmpdir(), "qoltanba-agent-bench-home-")),
  port: 0,
  tls: { key: readFileSync(keyPath, "utf8"), certificate: readFileSync(certificatePath, "utf8") },
  unattended: await readUnattendedSettings(settingsPath),
});
process.stdout.write(`listening ${server.port}\n`);
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
