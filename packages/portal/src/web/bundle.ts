import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

let bundle: Promise<string> | undefined;

/** The page script (src/browser), bundled once per process with esbuild: no build step, nothing generated in the tree. */
export function browserBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [fileURLToPath(new URL("../browser/portal.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    target: "es2020",
    minify: true,
    platform: "browser",
  }).then((result) => result.outputFiles[0]!.text);
  return bundle;
}

let stylesheet: Promise<string> | undefined;
export function portalStylesheet(): Promise<string> {
  stylesheet ??= readFile(new URL("./static/portal.css", import.meta.url), "utf8");
  return stylesheet;
}
