import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/** Where the person's programs look; passed in so tests can point HOME and platform elsewhere. */
export interface Environment {
  readonly platform: NodeJS.Platform;
  readonly homeDirectory: string;
  readonly env: NodeJS.ProcessEnv;
}

export function currentEnvironment(): Environment {
  return { platform: process.platform, homeDirectory: homedir(), env: process.env };
}

export type TrustStore =
  | {
      readonly kind: "nss";
      readonly label: string;
      readonly directory: string;
      readonly createIfMissing: boolean;
    }
  | { readonly kind: "macos-keychain"; readonly label: string; readonly keychain: string }
  | { readonly kind: "windows-user-root"; readonly label: string };

/** Firefox keeps profiles here when installed from a tarball or .deb, as a Snap, or as a Flatpak. */
const FIREFOX_PROFILE_ROOTS = [
  ".mozilla/firefox",
  "snap/firefox/common/.mozilla/firefox",
  ".var/app/org.mozilla.firefox/.mozilla/firefox",
];

async function firefoxProfiles(homeDirectory: string): Promise<TrustStore[]> {
  const stores: TrustStore[] = [];
  for (const root of FIREFOX_PROFILE_ROOTS) {
    const folder = join(homeDirectory, root);
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries
      .filter((item) => item.isDirectory())
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const directory = join(folder, entry.name);
      if (existsSync(join(directory, "cert9.db"))) {
        stores.push({
          kind: "nss",
          label: `Firefox profile ${entry.name} (~/${root}/${entry.name})`,
          directory,
          createIfMissing: false,
        });
      }
    }
  }
  return stores;
}

/**
 * The stores browsers consult for the person's own trusted CAs: on Linux the shared NSS database
 * (Chrome, Chromium, Edge, Brave…) and every Firefox profile; on macOS the login keychain (Safari,
 * Chrome, Firefox); on Windows the user's root store (Edge, Chrome, Firefox).
 */
export async function discoverTrustStores(environment: Environment): Promise<TrustStore[]> {
  const home = environment.homeDirectory;
  if (environment.platform === "win32")
    return [
      {
        kind: "windows-user-root",
        label: "Windows user root store (Current User\\Trusted Root Certification Authorities)",
      },
    ];
  if (environment.platform === "darwin") {
    return [
      {
        kind: "macos-keychain",
        label: "macOS login keychain",
        keychain: join(home, "Library/Keychains/login.keychain-db"),
      },
    ];
  }
  return [
    {
      kind: "nss",
      label: "Chrome/Chromium NSS database (~/.pki/nssdb)",
      directory: join(home, ".pki/nssdb"),
      createIfMissing: true,
    },
    ...(await firefoxProfiles(home)),
  ];
}
