import { readAgentCaCertificate } from "../tls/agentTls.ts";
import { agentFiles } from "../state/agentHome.ts";
import { currentTokenPlatform, effectiveProfiles, readTokenSettings } from "../tokens/tokenSettings.ts";
import { runCommand, type RunCommand } from "../trust/run.ts";
import type { Environment } from "../trust/stores.ts";
import { checkAgentPort } from "./agentPort.ts";
import type { Finding } from "./finding.ts";
import { checkProxy } from "./proxy.ts";
import { checkTokens, type TokenCheckOptions } from "./tokenChecks.ts";
import { checkTrust } from "./trustCheck.ts";

export const LOCAL_NETWORK_ACCESS_HINT: Finding = {
  status: "hint",
  title:
    "Chrome and Edge 142+ (Local Network Access) ask the first time a website contacts the agent whether it may access apps and devices on this computer or network",
  fix: "choose Allow; if it was blocked, click the icon left of the address → Site settings → Local network access → Allow, then reload the page",
};

/**
 * The troubleshooting chapter as checks: the agent's port, trust in every browser store, proxy
 * settings, Chrome's prompt, and the tokens (PC/SC, readers, Kaztoken in the CCID list, PKCS#11 libraries).
 */
export async function runDoctor(options: {
  home: string;
  port: number;
  environment: Environment;
  /** How the person runs the agent and its trust install (with their --home), for the fixes. */
  startCommand: string;
  trustCommand: string;
  run?: RunCommand;
  /** Also check the tokens: a person without one needs no smart-card service. */
  tokens?: boolean;
  /** Test paths for the token checks (pcscd, the CCID Info.plist, libpcsclite). */
  tokenPaths?: Pick<TokenCheckOptions, "pcscdPaths" | "ccidInfoPlist" | "libpcscslitePaths">;
}): Promise<Finding[]> {
  const caCertificate = await readAgentCaCertificate(options.home);
  const tokenSettingsPath = agentFiles(options.home).tokens;
  const run = options.run ? { run: options.run } : {};
  return [
    await checkAgentPort({
      port: options.port,
      caCertificate,
      platform: options.environment.platform,
      startCommand: options.startCommand,
      ...run,
    }),
    ...(await checkTrust({
      caCertificate,
      environment: options.environment,
      trustCommand: options.trustCommand,
      ...run,
    })),
    checkProxy(options.environment.env),
    LOCAL_NETWORK_ACCESS_HINT,
    ...(options.tokens
      ? await checkTokens(options.environment.platform, {
          run: options.run ?? runCommand,
          profiles: effectiveProfiles(await readTokenSettings(tokenSettingsPath), currentTokenPlatform()),
          tokenSettingsPath,
          ...options.tokenPaths,
        })
      : []),
  ];
}
