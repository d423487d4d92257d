// Assembles a running agent from its options: stores, dialogs, state in the home folder, listener.
import type { Dialogs } from "./dialogs/dialogs.ts";
import { UnattendedDialogs } from "./dialogs/unattendedDialogs.ts";
import type { KeyStore } from "./keys/keyStore.ts";
import { PasswordThrottle } from "./keys/passwordThrottle.ts";
import { Pkcs12FileStore, PresetPkcs12Store } from "./keys/pkcs12FileStore.ts";
import { type AgentServer, type AgentServerOptions, startAgentServer } from "./server/agentServer.ts";
import { OriginGate } from "./server/originGate.ts";
import type { AgentContext } from "./session.ts";
import type { UnattendedSettings } from "./settings/unattended.ts";
import { agentFiles } from "./state/agentHome.ts";
import { KeyStorageMemory } from "./state/keyStorageMemory.ts";
import { OriginApprovals } from "./state/originApprovals.ts";
import { Pkcs11TokenStore } from "./tokens/pkcs11TokenStore.ts";
import { DialogTokenPins, PresetTokenPins } from "./tokens/tokenPins.ts";
import { TokenRegistry } from "./tokens/tokenRegistry.ts";
import {
  currentTokenPlatform,
  effectiveProfiles,
  readTokenSettings,
  type TokenSettings,
} from "./tokens/tokenSettings.ts";

export interface TlsMaterial {
  key: string;
  certificate: string;
}

export interface AgentOptions {
  home: string;
  /** 0: any free port. */
  port: number;
  tls: TlsMaterial;
  /** Interactive dialogs; ignored in unattended mode. */
  dialogs?: Dialogs;
  unattended?: UnattendedSettings;
  tsaUrl?: string;
  throttle?: PasswordThrottle;
  now?: () => Date;
  maxConnections?: number;
  maxMessageBytes?: number;
  onHttpRequest?: AgentServerOptions["onHttpRequest"];
  /** Per-machine token profile overrides; default: `tokens.json` in the home folder. */
  tokenSettings?: TokenSettings;
  /** How long a listing of the tokens present is reused (ms). */
  tokenRescanMs?: number;
}

export async function startAgent(options: AgentOptions): Promise<AgentServer> {
  const { unattended } = options;
  const dialogs = unattended ? new UnattendedDialogs(unattended) : options.dialogs;
  if (!dialogs) throw new Error("an interactive agent needs dialogs");
  const throttle = options.throttle ?? new PasswordThrottle();
  const presetKeyFolder = unattended?.keyDir
    ? { dir: unattended.keyDir, password: unattended.keyPassword! }
    : undefined;
  const fileStore = unattended
    ? new PresetPkcs12Store(unattended.pkcs12, presetKeyFolder)
    : new Pkcs12FileStore(dialogs, throttle);
  const files = agentFiles(options.home);
  const tokenSettings = options.tokenSettings ?? (await readTokenSettings(files.tokens));
  const tokens = new TokenRegistry(
    effectiveProfiles(tokenSettings, currentTokenPlatform()),
    options.tokenRescanMs,
  );
  const tokenPins = unattended ? new PresetTokenPins(unattended.tokens) : new DialogTokenPins(dialogs);
  const stores: KeyStore[] = [
    fileStore,
    ...tokens.profiles.map((profile) => new Pkcs11TokenStore(profile.store, tokens, tokenPins)),
  ];
  const context: AgentContext = {
    stores,
    dialogs,
    tokens,
    tokenPins,
    keyStorage: new KeyStorageMemory(files.keyStorage),
    throttle,
    tsaUrl: options.tsaUrl,
    presetKeyFolder,
    allowInvalidCertificateTime: unattended?.allowInvalidCertificateTime ?? false,
    now: options.now ?? (() => new Date()),
    keysChanged: () => {
      if (fileStore instanceof PresetPkcs12Store) fileStore.forget();
    },
  };
  const server = await startAgentServer({
    port: options.port,
    tls: options.tls,
    context,
    gate: new OriginGate(new OriginApprovals(files.origins), dialogs),
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    ...(options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : {}),
    ...(options.onHttpRequest ? { onHttpRequest: options.onHttpRequest } : {}),
  });
  return {
    ...server,
    close: async () => {
      await server.close();
      await tokens.close();
    },
  };
}
