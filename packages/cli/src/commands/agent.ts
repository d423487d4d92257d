import {
  chooseDialogs,
  DEFAULT_PORT,
  defaultAgentHome,
  ensureAgentTls,
  readUnattendedSettings,
  startAgent,
  type AgentServer,
  type UnattendedSettings,
} from "@qoltanba/agent";
import { InputError } from "@qoltanba/pki";
import { EXIT, type Command, UsageError } from "../command.ts";

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port must be 0 to 65535, got ${text}`);
  return port;
}

function parseTsaUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--tsa-url is not a URL: ${text}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError("--tsa-url must be an http(s) URL");
  return text;
}

/**
 * Starts the agent on 127.0.0.1: with the person's dialogs (a desktop's, a web page's or the
 * terminal's) or, unattended, from its settings file.
 */
export async function startLocalAgent(options: {
  home: string;
  port: number;
  tsaUrl?: string;
  unattended?: UnattendedSettings;
}): Promise<AgentServer> {
  const { home, port, tsaUrl, unattended } = options;
  const chosen = unattended ? undefined : chooseDialogs();
  if (!unattended && !chosen) {
    throw new UsageError(
      "no way to ask you anything here (no dialog tool, no desktop, no terminal): run it on your desktop, or with --unattended FILE",
    );
  }
  const tls = await ensureAgentTls(home);
  const server = await startAgent({
    home,
    port,
    tls,
    ...(unattended ? { unattended } : { dialogs: chosen!.dialogs }),
    ...(tsaUrl ? { tsaUrl } : {}),
    ...(chosen?.webPage ? { onHttpRequest: chosen.webPage.handle.bind(chosen.webPage) } : {}),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EADDRINUSE")
      throw new InputError(
        "port_in_use",
        `port ${port} is taken (is NCALayer running?): see qoltanba agent doctor`,
      );
    throw error;
  });
  chosen?.webPage?.listeningOn(server.port);
  return server;
}

export const agent: Command = {
  usage: `qoltanba agent [--home DIR] [--port N] [--tsa-url URL] [--unattended FILE]

  The local signing agent that websites reach at wss://127.0.0.1:${DEFAULT_PORT} (NCALayer's protocol).
  --home DIR         state folder (approved origins, key folders, TLS); default ${defaultAgentHome()}
  --port N           listening port on 127.0.0.1 (0: any free port)
  --tsa-url URL      RFC 3161 time-stamping service for CAdES-T signatures
  --unattended FILE  no person: origins, key files and passwords from FILE (docs/agent-protocol.md)`,
  options: {
    home: { type: "string" },
    port: { type: "string" },
    "tsa-url": { type: "string" },
    unattended: { type: "string" },
  },
  async run(values) {
    const home = (values.home as string | undefined) ?? defaultAgentHome();
    const port = parsePort((values.port as string | undefined) ?? String(DEFAULT_PORT));
    const tsaUrl = parseTsaUrl(values["tsa-url"] as string | undefined);
    const unattended = values.unattended
      ? await readUnattendedSettings(values.unattended as string)
      : undefined;
    const server = await startLocalAgent({ home, port, ...(tsaUrl ? { tsaUrl } : {}), ...(unattended ? { unattended } : {}) });
    process.stderr.write(`listening on ${server.url}${unattended ? " (unattended)" : ""}\n`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await server.close();
    return EXIT.ok;
  },
};
