import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { FastifyInstance } from "fastify";

const bundles = new Map<string, Promise<string>>();

/** A page script (src/browser/NAME.ts), bundled once per process with esbuild: no build step, nothing generated in the tree. */
type PageScript = "portal" | "console" | "cabinet";

export function browserBundle(name: PageScript = "portal"): Promise<string> {
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

/** Serves a page script at /static/NAME.js. */
export function pageScriptRoute(app: FastifyInstance, name: PageScript): void {
  app.get(`/static/${name}.js`, async (_request, reply) =>
    reply
      .type("text/javascript; charset=utf-8")
      .header("cache-control", "public, max-age=3600")
      .send(await browserBundle(name)),
  );
}
