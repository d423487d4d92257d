#!/usr/bin/env node
// Builds the qoltanba CLI (with the local signing agent) for people without a source tree:
//   OUT/qoltanba.cjs             one JavaScript file (esbuild) for any Node.js 20+, with pkcs11.node beside it
//   OUT/qoltanba-VERSION.tgz     that file as an npm package:  npm install -g ./qoltanba-VERSION.tgz
//   OUT/qoltanba (.exe)          a Node.js single executable application: Node.js not needed
// The executable is this platform's: run the script on Linux, macOS and Windows for all three.
// Usage: node scripts/build-agent-sea.mjs [--out DIR]   (default dist/agent)
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import postject from "postject";

const ROOT = resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { out: { type: "string", default: join(ROOT, "dist/agent") } } });
const out = resolve(values.out);
const { version } = JSON.parse(readFileSync(join(ROOT, "packages/cli/package.json"), "utf8"));
const executable = join(out, process.platform === "win32" ? "qoltanba.exe" : "qoltanba");
const bundle = join(out, "qoltanba.cjs");

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", ...options });
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})`,
    );
}

// better-sqlite3 (the CA's SQLite storage) stays out: a stand-in says so when used. pkcs11js (token
// stores, the CA's HSM signer) comes along: its native binding, an N-API addon, is an asset of the
// executable and a file beside the bundle, loaded by packages/cli/src/bundle/nativeAddon.ts.
const SQLITE_STANDIN = `import { InputError } from "@qoltanba/pki";
export default class Database {
  constructor() {
    throw new InputError("sqlite_unavailable", "this single-file build of qoltanba has no SQLite: use --db postgres://HOST/DB, or run the CA from the source tree");
  }
}`;
const withoutSqlite = {
  name: "without-sqlite",
  setup(esbuild) {
    esbuild.onResolve({ filter: /^better-sqlite3$/ }, () => ({
      path: "better-sqlite3",
      namespace: "sqlite-standin",
    }));
    esbuild.onLoad({ filter: /.*/, namespace: "sqlite-standin" }, () => ({
      resolveDir: ROOT,
      loader: "js",
      contents: SQLITE_STANDIN,
    }));
  },
};
const PKCS11_BINDING = "pkcs11.node";
const pkcs11jsIndex = createRequire(import.meta.url).resolve("pkcs11js");
const pkcs11jsBinding = join(dirname(pkcs11jsIndex), "build/Release", PKCS11_BINDING);
const pkcs11jsModules = {
  // pkcs11js loads its binding when first evaluated: only a command that uses PKCS#11 unpacks and loads it.
  facade: `let loaded;
const pkcs11js = () => (loaded ??= require(${JSON.stringify(pkcs11jsIndex)}));
export default new Proxy({}, { get: (_target, name) => pkcs11js()[name] });`,
  binding: `module.exports = require(${JSON.stringify(join(ROOT, "packages/cli/src/bundle/nativeAddon.ts"))}).loadNativeAddon(${JSON.stringify(PKCS11_BINDING)}, __dirname);`,
};
const withPkcs11js = {
  name: "with-pkcs11js",
  setup(esbuild) {
    esbuild.onResolve({ filter: /^pkcs11js$/ }, () => ({ path: "facade", namespace: "pkcs11js" }));
    esbuild.onResolve({ filter: /^\.\/build\/Release\/pkcs11\.node$/ }, () => ({
      path: "binding",
      namespace: "pkcs11js",
    }));
    esbuild.onLoad({ filter: /.*/, namespace: "pkcs11js" }, (args) => ({
      resolveDir: ROOT,
      loader: "js",
      contents: pkcs11jsModules[args.path],
    }));
  },
};

mkdirSync(out, { recursive: true });
await build({
  stdin: {
    contents:
      'import { main } from "./packages/cli/src/main.ts";\nmain(process.argv.slice(2)).then((code) => { process.exitCode = code; });\n',
    resolveDir: ROOT,
    sourcefile: "qoltanba-entry.ts",
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  target: "node20",
  // A single executable's main script must be CommonJS in Node.js 20.
  format: "cjs",
  outfile: bundle,
  banner: { js: "#!/usr/bin/env node" },
  external: ["pg-native"],
  // ws tries to require its optional native helpers when loaded; in a single executable any such
  // require prints a warning on every run. Its own switches skip them (it falls back to JavaScript).
  define: { "process.env.WS_NO_BUFFER_UTIL": '"1"', "process.env.WS_NO_UTF_8_VALIDATE": '"1"' },
  plugins: [withoutSqlite, withPkcs11js],
  logLevel: "warning",
});
chmodSync(bundle, 0o755);
copyFileSync(pkcs11jsBinding, join(out, PKCS11_BINDING));

const work = mkdtempSync(join(out, ".work-"));
try {
  const npmPackage = join(work, "npm");
  mkdirSync(npmPackage);
  copyFileSync(bundle, join(npmPackage, "qoltanba.cjs"));
  copyFileSync(pkcs11jsBinding, join(npmPackage, PKCS11_BINDING));
  const manifest = {
    name: "qoltanba",
    version,
    description: "Qoltanba: a certification authority and its local signing agent (NCALayer-compatible)",
    license: "Apache-2.0",
    bin: { qoltanba: "qoltanba.cjs" },
    engines: { node: ">=20" },
  };
  writeFileSync(join(npmPackage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  run("npm", ["pack", "--silent", "--pack-destination", out], {
    cwd: npmPackage,
    stdio: ["ignore", "ignore", "inherit"],
    shell: process.platform === "win32",
  });

  const blob = join(work, "qoltanba.blob");
  const config = join(work, "sea-config.json");
  writeFileSync(
    config,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      assets: { [PKCS11_BINDING]: pkcs11jsBinding },
    }),
  );
  run(process.execPath, ["--experimental-sea-config", config]);
  rmSync(executable, { force: true });
  copyFileSync(process.execPath, executable);
  chmodSync(executable, 0o755);
  if (process.platform === "darwin") run("codesign", ["--remove-signature", executable]);
  await postject.inject(executable, "NODE_SEA_BLOB", readFileSync(blob), {
    sentinelFuse: "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2",
    ...(process.platform === "darwin" ? { machoSegmentName: "NODE_SEA" } : {}),
  });
  if (process.platform === "darwin") run("codesign", ["--sign", "-", executable]);
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`built ${bundle}\n      ${join(out, `qoltanba-${version}.tgz`)}\n      ${executable}`);
