#!/usr/bin/env node
// Builds the qoltanba CLI (with the local signing agent) for people without a source tree:
//   OUT/qoltanba.cjs             one JavaScript file (esbuild) for any Node.js 20+
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
import { join, resolve } from "node:path";
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

// Native modules cannot travel in one file: better-sqlite3 (the CA's SQLite storage) and pkcs11js
// (the CA's HSM signer) become stand-ins that say so when used; everything else (the agent,
// PostgreSQL storage) is in the bundle.
const NATIVE_STANDINS = {
  "better-sqlite3": `export default class Database {
  constructor() {
    throw new InputError("sqlite_unavailable", "this single-file build of qoltanba has no SQLite: use --db postgres://HOST/DB, or run the CA from the source tree");
  }
}`,
  pkcs11js: `const unavailable = () => {
  throw new InputError("pkcs11_unavailable", "this single-file build of qoltanba has no PKCS#11 support: run the CA from the source tree");
};
export default new Proxy({}, { get: (_target, name) => (name === "__esModule" ? undefined : unavailable()) });`,
};
const withoutNativeModules = {
  name: "without-native-modules",
  setup(esbuild) {
    esbuild.onResolve({ filter: /^(better-sqlite3|pkcs11js)$/ }, (args) => ({ path: args.path, namespace: "native-standin" }));
    esbuild.onLoad({ filter: /.*/, namespace: "native-standin" }, (args) => ({
      resolveDir: ROOT,
      loader: "js",
      contents: `import { InputError } from "@qoltanba/pki";\n${NATIVE_STANDINS[args.path]}`,
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
  plugins: [withoutNativeModules],
  logLevel: "warning",
});
chmodSync(bundle, 0o755);

const work = mkdtempSync(join(out, ".work-"));
try {
  const npmPackage = join(work, "npm");
  mkdirSync(npmPackage);
  copyFileSync(bundle, join(npmPackage, "qoltanba.cjs"));
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
  writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true }));
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
