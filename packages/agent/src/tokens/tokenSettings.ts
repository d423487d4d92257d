// `tokens.json` in the agent's folder: per-machine overrides of the token profiles, for a vendor
// library installed elsewhere or a token the default patterns do not recognise. For example
// { "AKKaztokenStore": { "libraries": ["/opt/kaztoken/lib/libkaztoken.so"] },
//   "AKJaCartaStore": { "label": "^My JaCarta$" } }
import { InputError } from "@qoltanba/pki";
import { HARDWARE_STORAGES } from "../protocol/messages.ts";
import { readJsonFile } from "../state/jsonFile.ts";
import {
  type HardwareStorage,
  TOKEN_PROFILES,
  type TokenPlatform,
  type TokenProfile,
} from "./tokenProfiles.ts";

export interface TokenOverride {
  /** Full paths of the PKCS#11 library, tried in order, instead of the profile's for this platform. */
  libraries?: string[];
  /** Regular expressions over CK_TOKEN_INFO fields; any given replaces the profile's recognition. */
  manufacturer?: string;
  model?: string;
  label?: string;
}

export type TokenSettings = Partial<Record<HardwareStorage, TokenOverride>>;

const OVERRIDE_FIELDS = new Set(["libraries", "manufacturer", "model", "label"]);

export function parseTokenSettings(value: unknown, source: string): TokenSettings {
  const fail = (message: string): never => {
    throw new InputError("token_settings", `${source}: ${message}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("must be a JSON object");
  const settings: TokenSettings = {};
  for (const [store, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!(HARDWARE_STORAGES as readonly string[]).includes(store))
      fail(`unknown token store ${JSON.stringify(store)} (known: ${HARDWARE_STORAGES.join(", ")})`);
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(`${store} must be an object`);
    const entry = raw as Record<string, unknown>;
    for (const key of Object.keys(entry))
      if (!OVERRIDE_FIELDS.has(key)) fail(`${store}: unknown field ${JSON.stringify(key)}`);
    const override: TokenOverride = {};
    if (entry.libraries !== undefined) {
      if (
        !Array.isArray(entry.libraries) ||
        !entry.libraries.every((item) => typeof item === "string" && item)
      )
        fail(`${store}.libraries must be a list of library paths`);
      override.libraries = entry.libraries as string[];
    }
    for (const field of ["manufacturer", "model", "label"] as const) {
      const pattern = entry[field];
      if (pattern === undefined) continue;
      if (typeof pattern !== "string") fail(`${store}.${field} must be a regular expression as a string`);
      try {
        new RegExp(pattern as string, "i");
      } catch {
        fail(`${store}.${field} is not a valid regular expression`);
      }
      override[field] = pattern as string;
    }
    settings[store as HardwareStorage] = override;
  }
  return settings;
}

export async function readTokenSettings(path: string): Promise<TokenSettings> {
  return parseTokenSettings(await readJsonFile<unknown>(path, {}), path);
}

/** A profile as it applies on this machine: its libraries for this platform, overrides applied. */
export interface EffectiveProfile extends Omit<TokenProfile, "libraries"> {
  readonly libraries: readonly string[];
}

export function effectiveProfiles(settings: TokenSettings, platform: TokenPlatform): EffectiveProfile[] {
  return TOKEN_PROFILES.map((profile) => {
    const override = settings[profile.store] ?? {};
    const patterns = (["manufacturer", "model", "label"] as const).filter(
      (field) => override[field] !== undefined,
    );
    return {
      ...profile,
      libraries: override.libraries ?? profile.libraries[platform],
      recognise:
        patterns.length === 0
          ? profile.recognise
          : Object.fromEntries(patterns.map((field) => [field, new RegExp(override[field]!, "i")])),
    };
  });
}

export const currentTokenPlatform = (): TokenPlatform =>
  process.platform === "win32" || process.platform === "darwin" ? process.platform : "linux";
