import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const bundles = new Map<string, Promise<string>>();

/** A page script (src/browser/NAME.ts), bundled once per process with esbuild: no build step, nothing generated in the tree. */
export function browserBundle(name: "portal" | "console" = "portal"): Promise<string> {
  let bundle = bundles.get(name);
  if (bundle) return bundle;
  bundle = build({
    entryPoints: [fileURLToPath(new URL(`../browser/${name}.ts`, import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    target: "es2020",
    minify: true,
    platform: "browser",
  }).then((result) => result.outputFiles[0]!.text);
  bundles.set(name, bundle);
  return bundle;
}

let stylesheet: Promise<string> | undefined;
export function portalStylesheet(): Promise<string> {
  stylesheet ??= readFile(new URL("./static/portal.css", import.meta.url), "utf8");
  return stylesheet;
}
