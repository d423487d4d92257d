// Loads a native addon in a built qoltanba (scripts/build-agent-sea.mjs puts this where pkcs11js
// requires its binding): the single executable carries it as an asset and loads a private copy from
// the user's cache folder; the npm package has it beside the bundle.
import { homedir } from "node:os";
import { join } from "node:path";
import { getAsset, isSea } from "node:sea";
import { InputError } from "@qoltanba/pki";
import { privateAddonCopy } from "./privateAddonCopy.ts";

/** Where the single executable keeps files it unpacks for itself. */
export function userCacheFolder(env: NodeJS.ProcessEnv = process.env): string {
  switch (process.platform) {
    case "win32":
      return join(env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"), "Qoltanba", "cache");
    case "darwin":
      return join(homedir(), "Library", "Caches", "Qoltanba");
    default:
      return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "qoltanba");
  }
}

/** The addon's exports; `fileName` is its asset key in the executable and its file name beside the bundle. */
export function loadNativeAddon(fileName: string, bundleFolder: string): unknown {
  let path = join(bundleFolder, fileName);
  try {
    if (isSea())
      path = privateAddonCopy(
        new Uint8Array(getAsset(fileName)),
        fileName.replace(/\.node$/, ""),
        userCacheFolder(),
      );
    const module = { exports: {} };
    process.dlopen(module, path);
    return module.exports;
  } catch (error) {
    throw new InputError("native_addon", `cannot load ${fileName} (${path}): ${(error as Error).message}`);
  }
}
