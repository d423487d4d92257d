// The signing agent in unattended mode, driven over wss:// like a page: latency of CMS signing
// (1 KB, 10 MB), a detached CAdES over a 1 GB file hashed by streaming (peak RSS), and the time
// from start to the first accepted connection.
// Run: node --import tsx bench/agent.bench.ts [--rounds N] [--file-mb N]
import { spawn } from "node:child_process";
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { fromPemOrDer, verifySignedData, verifyXmlSignature } from "@qoltanba/pki";
import { connect, type TestAgent } from "../packages/agent/src/testing/testAgent.ts";
import { makeTestTls } from "../packages/agent/src/testing/testTls.ts";
import { SIGN_EXTENSIONS, TestPki } from "../packages/agent/src/testing/testPki.ts";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "200" }, "file-mb": { type: "string", default: "1024" } },
});
const ROUNDS = Number(values.rounds);
const FILE_MB = Number(values["file-mb"]);
const PASSWORD = "Bench1234";

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const pki = new TestPki();
const key = pki.issue("signer", "/CN=BENCH/serialNumber=IIN880101300014/C=KZ", SIGN_EXTENSIONS, PASSWORD);
const bigFile = pki.path("big.bin");
{
  const out = createWriteStream(bigFile);
  const block = Buffer.alloc(1024 * 1024, 0x5a);
  for (let index = 0; index < FILE_MB; index++) if (!out.write(block)) await once(out, "drain");
  out.end();
  await once(out, "finish");
}

// The agent runs alone in a child process, so its memory is its own.
const tls = makeTestTls();
writeFileSync(pki.path("tls.key"), tls.key);
writeFileSync(pki.path("tls.pem"), tls.certificate);
writeFileSync(
  pki.path("unattended.json"),
  JSON.stringify({
    origins: ["local"],
    pkcs12: [{ path: key.p12Path, password: PASSWORD }],
    files: [bigFile],
  }),
);
// Bundled with esbuild, as the agent ships (a single file, no TypeScript compiled at start-up).
const bundle = pki.path("agent-process.mjs");
await build({
  entryPoints: ["bench/agent-process.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outfile: bundle,
  banner: {
    js: "import { createRequire as qoltanbaRequire } from 'node:module'; const require = qoltanbaRequire(import.meta.url);",
  },
  // pkcs11js requires its native binding by a relative path; the bundle, written elsewhere, loads it where npm put it.
  plugins: [
    {
      name: "native-bindings-in-place",
      setup(esbuild) {
        esbuild.onResolve({ filter: /\.node$/ }, (args) => ({
          path: join(args.resolveDir, args.path),
          external: true,
        }));
      },
    },
  ],
  logLevel: "warning",
});
async function startAgentProcess() {
  const spawnedAt = performance.now();
  const child = spawn(
    process.execPath,
    [bundle, pki.path("unattended.json"), pki.path("tls.key"), pki.path("tls.pem")],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const [line] = (await once(child.stdout, "data")) as [Buffer];
  const port = Number(/listening (\d+)/.exec(line.toString())![1]);
  const client = await connect({ server: { url: `wss://127.0.0.1:${port}/` }, tls } as TestAgent);
  return { child, client, startMs: performance.now() - spawnedAt };
}

const startTimes: number[] = [];
for (let run = 0; run < 4; run++) {
  const { child, client, startMs } = await startAgentProcess();
  startTimes.push(startMs);
  client.close();
  child.kill("SIGTERM");
  await once(child, "exit");
}
const { child, client, startMs } = await startAgentProcess();
startTimes.push(startMs);
startTimes.sort((a, b) => a - b);
console.log(
  `start-up to first accepted connection (process start, unattended file, TLS listener, greeting): median ${startTimes[2]!.toFixed(0)} ms, max ${startTimes[4]!.toFixed(0)} ms over 5 starts`,
);
const peakRssMb = () =>
  Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))![1]) / 1024);

const chosen = (await client.request({
  module: "kz.gov.pki.knca.commonUtils",
  method: "showFileChooser",
  args: ["bin", ""],
})) as { responseObject: string };
const rssBefore = peakRssMb();
const fileStart = performance.now();
const fileReply = (await client.request({
  module: "kz.gov.pki.knca.commonUtils",
  method: "createCAdESFromFile",
  args: ["PKCS12", "SIGNATURE", chosen.responseObject, false],
})) as { code: string; responseObject: string };
const fileMs = performance.now() - fileStart;
if (fileReply.code !== "200") throw new Error(`file signature failed: ${JSON.stringify(fileReply)}`);
pki.verifyCms(Buffer.from(fileReply.responseObject, "base64"), {
  content: { file: bigFile },
  options: ["-out", "/dev/null"],
});
console.log(
  `detached CAdES over a ${FILE_MB} MB file: ${(fileMs / 1000).toFixed(2)} s, agent peak RSS ${peakRssMb()} MB (${rssBefore} MB before); openssl cms -verify OK`,
);

const signRequest = (data: Buffer) => ({
  module: "kz.gov.pki.knca.basics",
  method: "sign",
  args: {
    allowedStorages: ["PKCS12"],
    format: "cms",
    data: data.toString("base64"),
    signingParams: { encapsulate: true },
    signerParams: { extKeyUsageOids: [] },
  },
});

for (const [label, size, rounds] of [
  ["CMS 1 KB", 1024, ROUNDS],
  ["CMS 10 MB", 10 * 1024 * 1024, Math.max(10, Math.round(ROUNDS / 10))],
] as const) {
  const data = Buffer.alloc(size, 0x41);
  const request = signRequest(data);
  const reply = (await client.request(request)) as { body: { result: string } };
  if (!verifySignedData(fromPemOrDer(reply.body.result, ["CMS"], "CMS")).signers[0]!.valid)
    throw new Error(`${label}: invalid signature`);
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    await client.request(request);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${label}: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms over ${rounds} signatures (attached, PEM reply, round trip over wss)`,
  );
}

{
  // About 100 KB of XML: 1,500 invoice lines.
  const lines = Array.from(
    { length: 1500 },
    (_, index) => `<line n="${index}"><item>Тауар ${index}</item><price>${index * 7}.50</price></line>`,
  );
  const xml = `<?xml version="1.0" encoding="UTF-8"?><invoice>${lines.join("")}</invoice>`;
  const request = {
    module: "kz.gov.pki.knca.basics",
    method: "sign",
    args: {
      allowedStorages: ["PKCS12"],
      format: "xml",
      data: xml,
      signingParams: {},
      signerParams: { extKeyUsageOids: [] },
    },
  };
  const reply = (await client.request(request)) as { body: { result: string[] } };
  if (!verifyXmlSignature(reply.body.result[0]!).valid) throw new Error("XML: invalid signature");
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await client.request(request);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(
    `XML ${Math.round(Buffer.byteLength(xml) / 1024)} KB: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms over ${ROUNDS} signatures (enveloped XMLDSig, round trip over wss)`,
  );
}

client.close();
child.kill("SIGTERM");
await once(child, "exit");
tls.dispose();
pki.dispose();
