import type { Dialogs } from "./dialogs/dialogs.ts";
import type { KeyStore } from "./keys/keyStore.ts";
import type { PasswordThrottle } from "./keys/passwordThrottle.ts";
import type { KeyStorageMemory } from "./state/keyStorageMemory.ts";
import type { TokenPins } from "./tokens/tokenPins.ts";
import type { TokenRegistry } from "./tokens/tokenRegistry.ts";

/** What every request handler may use: the agent's stores, dialogs and settings. */
export interface AgentContext {
  readonly stores: readonly KeyStore[];
  readonly dialogs: Dialogs;
  /** The hardware tokens present, by store; and where their PINs come from. */
  readonly tokens: TokenRegistry;
  readonly tokenPins: TokenPins;
  readonly keyStorage: KeyStorageMemory;
  /** Wrong passwords per key file or folder, across connections. */
  readonly throttle: PasswordThrottle;
  /** An RFC 3161 time-stamping service for CAdES-T. */
  readonly tsaUrl: string | undefined;
  /** Unattended mode: where and under which password generateCsr writes keys, without asking. */
  readonly presetKeyFolder: { dir: string; password: string } | undefined;
  readonly allowInvalidCertificateTime: boolean;
  readonly now: () => Date;
  /** Called when enrollment wrote key files, so stores that cache their keys read them again. */
  readonly keysChanged: () => void;
}

/** One WebSocket connection: its origin, and the files the person chose for it. */
export interface Session {
  readonly agent: AgentContext;
  readonly origin: string;
  /** Paths the person picked in the agent's file chooser: the only files *FromFile may read. */
  readonly chosenFiles: Set<string>;
}
