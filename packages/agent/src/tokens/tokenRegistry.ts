// Which token stores have a token present: every profile's library is loaded once (the first of
// its paths that exists), listed, and each token present is given to the first profile, among
// those using that library, that recognises it.
import { existsSync } from "node:fs";
import { isAbsolute } from "node:path";
import { Pkcs11Library, type TokenSlot } from "./pkcs11Library.ts";
import { profileOf } from "./tokenProfiles.ts";
import type { EffectiveProfile } from "./tokenSettings.ts";

export interface DetectedToken extends TokenSlot {
  readonly profile: EffectiveProfile;
  readonly pkcs11: Pkcs11Library;
}

export class TokenRegistry {
  private readonly loaded = new Map<string, Pkcs11Library>();
  private scan: { at: number; tokens: Promise<DetectedToken[]> } | undefined;

  /**
   * `freshForMs`: a listing is reused this long, so that one getActiveTokens asking each store does
   * not re-initialise every library six times; a token plugged in shows after at most that long.
   */
  constructor(
    readonly profiles: readonly EffectiveProfile[],
    private readonly freshForMs = 300,
  ) {}

  /** The tokens present now. */
  detect(): Promise<DetectedToken[]> {
    const now = Date.now();
    if (this.scan && now - this.scan.at <= this.freshForMs) return this.scan.tokens;
    const tokens = this.list();
    this.scan = { at: now, tokens };
    return tokens;
  }

  async tokensOf(store: string): Promise<DetectedToken[]> {
    return (await this.detect()).filter((token) => token.profile.store === store);
  }

  async close(): Promise<void> {
    for (const library of this.loaded.values()) await library.close();
    this.loaded.clear();
  }

  private async list(): Promise<DetectedToken[]> {
    const byLibrary = new Map<Pkcs11Library, EffectiveProfile[]>();
    for (const profile of this.profiles) {
      const library = this.library(profile);
      if (library) byLibrary.set(library, [...(byLibrary.get(library) ?? []), profile]);
    }
    const detected: DetectedToken[] = [];
    for (const [library, profiles] of byLibrary) {
      let slots: TokenSlot[];
      try {
        slots = await library.tokens();
      } catch {
        // A library that cannot list its slots now (its device service stopped) offers no token; the doctor says why.
        continue;
      }
      for (const slot of slots) {
        const profile = profileOf(slot, profiles);
        if (profile) detected.push({ ...slot, profile, pkcs11: library });
      }
    }
    return detected;
  }

  /** The profile's library, loaded once; undefined when none of its paths is installed. */
  private library(profile: EffectiveProfile): Pkcs11Library | undefined {
    for (const path of profile.libraries) {
      const cached = this.loaded.get(path);
      if (cached) return cached;
      // Bare names (Windows DLLs) are found by the loader's search path; full paths must exist.
      if (isAbsolute(path) && !existsSync(path)) continue;
      try {
        const library = new Pkcs11Library(path);
        this.loaded.set(path, library);
        return library;
      } catch {
        continue;
      }
    }
    return undefined;
  }
}
