// Agent signing latency with a key on a token (SoftHSM2 through PKCS#11) beside a key file, in the
// same run and the same agent: CMS of 1 KB through basics `sign`, unattended mode, over wss://.
// The raw C_Sign time of the same token key (one logged-in session, pkcs11js) shows what the
// agent adds per signature: a session opened, a login, a key lookup, the session closed.
// Run: node --import tsx bench/agent-token.bench.ts [--rounds N]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pkcs11js from "pkcs11js";
import { digest, digestInfoPrefix, fromPemOrDer, verifySignedData } from "@qoltanba/pki";
import { createSoftHsmToken, SOFTHSM_MODULE, TEST_PIN } from "../packages/pki/src/test-support/softhsm.ts";
import { connect, startTestAgent } from "../packages/agent/src/testing/testAgent.ts";
import { SIGN_EXTENSIONS, TestPki } from "../packages/agent/src/testing/testPki.ts";
import { softHsmForEveryStore } from "../packages/agent/src/testing/testTokens.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "300" } } });
const ROUNDS = Number(values.rounds);
const PASSWORD = "Bench1234";
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const token = createSoftHsmToken("KAZTOKEN");
const pki = new TestPki();
const file = pki.issue("file", "/CN=BENCH FILE/C=KZ", SIGN_EXTENSIONS, PASSWORD);
const agent = await startTestAgent(
  {
    origins: ["local"],
    pkcs12: [{ path: file.p12Path, password: PASSWORD }],
    tokens: { AKKaztokenStore: TEST_PIN },
  },
  { tokenSettings: softHsmForEveryStore() },
);
const client = await connect(agent);

const generated = await client.basics("generateCsr", {
  storage: "AKKaztokenStore",
  applicationId: "BENCH",
  keys: ["SIGN"],
});
const certificate = pki.certify(
  "token",
  generated.body.result.csrs.SIGN,
  "/CN=BENCH TOKEN/C=KZ",
  SIGN_EXTENSIONS,
  0x5001,
);
const imported = await client.basics("importCertificate", {
  storage: "AKKaztokenStore",
  applicationId: "BENCH",
  certificates: [certificate],
});
if (!imported.status) throw new Error(`import failed: ${imported.details}`);

const signArgs = (storage: string) => ({
  allowedStorages: [storage],
  format: "cms",
  data: Buffer.alloc(1024, 0x41).toString("base64"),
  signingParams: { encapsulate: true },
  signerParams: { extKeyUsageOids: [] },
});

async function measure(storage: string): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    const reply = await client.basics("sign", signArgs(storage));
    times.push(performance.now() - start);
    if (!reply.status || !verifySignedData(fromPemOrDer(reply.body.result, ["CMS"], "CMS")).signers[0]!.valid)
      throw new Error(`${storage}: ${JSON.stringify(reply)}`);
  }
  return times.sort((a, b) => a - b);
}

// Alternating warm-up, then each store in turn.
await measure("PKCS12");
await measure("AKKaztokenStore");
const results: Array<[string, number[]]> = [
  ["key file (PKCS12)", await measure("PKCS12")],
  ["token key (AKKaztokenStore on SoftHSM2)", await measure("AKKaztokenStore")],
];
client.close();
await agent.dispose();

// Raw C_Sign of the same key in this process after the agent has let the library go.
const lib = new pkcs11js.PKCS11();
lib.load(SOFTHSM_MODULE);
lib.C_Initialize();
const slot = lib
  .C_GetSlotList(true)
  .find((candidate) => lib.C_GetTokenInfo(candidate).label.trim() === token.label)!;
const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
lib.C_Login(session, pkcs11js.CKU_USER, TEST_PIN);
lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
const [key] = lib.C_FindObjects(session, 1);
lib.C_FindObjectsFinal(session);
const digestInfo = Buffer.concat([digestInfoPrefix("sha256", 32), digest("sha256", Buffer.from("x"))]);
const raw: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const start = performance.now();
  lib.C_SignInit(session, { mechanism: pkcs11js.CKM_RSA_PKCS }, key!);
  lib.C_Sign(session, digestInfo, Buffer.alloc(256));
  raw.push(performance.now() - start);
}
lib.C_Finalize();
raw.sort((a, b) => a - b);
pki.dispose();

for (const [label, times] of [
  ...results,
  ["raw C_Sign, RSA-2048, one logged-in session (pkcs11js)", raw] as [string, number[]],
])
  console.log(
    `${label}: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms (${times.length})`,
  );
console.log(
  `token / file p50: ${(percentile(results[1]![1], 50) / percentile(results[0]![1], 50)).toFixed(2)}×`,
);
