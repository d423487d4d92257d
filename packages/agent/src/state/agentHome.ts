import { homedir, platform } from "node:os";
import { join } from "node:path";

/** The per-user folder of the agent's state: approved origins, remembered key folders, TLS material. */
export function defaultAgentHome(env: NodeJS.ProcessEnv = process.env): string {
  switch (platform()) {
    case "win32":
      return join(env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "Qoltanba", "agent");
    case "darwin":
      return join(homedir(), "Library", "Application Support", "Qoltanba", "agent");
    default:
      return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "qoltanba", "agent");
  }
}

export const agentFiles = (home: string) => ({
  origins: join(home, "origins.json"),
  keyStorage: join(home, "key-storage.json"),
  tokens: join(home, "tokens.json"),
});
