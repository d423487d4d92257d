// Issuance with the issuing CA's key in SoftHSM2 against the raw PKCS#11 signing rate of the same
// token, in one run: raw C_SignInit + C_Sign (RSA-2048, CKM_RSA_PKCS over a SHA-256 DigestInfo,
// straight through pkcs11js) on one session and on one session per lane, and the library's
// issuance call on SQLite; rounds interleave the three.
// Run: node --import tsx bench/hsm.bench.ts [--seconds N] [--repeats N] [--sessions N] [--concurrency N]
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import pkcs11js, { type Handle } from "pkcs11js";
import { initCertificateAuthority, openCertificateAuthority, type CertificateAuthority } from "@qoltanba/ca";
import { digest, digestInfoPrefix } from "@qoltanba/pki";
import { Pkcs11Module } from "../packages/ca/src/signer/pkcs11Module.ts";
import { createSoftHsmToken, SOFTHSM_MODULE, TEST_PIN } from "../packages/pki/src/test-support/softhsm.ts";
import { closedLoop } from "./closedLoop.ts";
import { makeApplicants } from "./csrPool.ts";
import { IssuanceLoad, type IssuedSample } from "./issuanceLoad.ts";
import { describeMachine } from "./machine.ts";
import { opensslVerify } from "./openssl.ts";
import { medianSummary, summarize, type RunSummary } from "./stats.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "4" },
    repeats: { type: "string", default: "5" },
    sessions: { type: "string", default: "8" },
    concurrency: { type: "string", default: "64" },
  },
});
const positive = (text: string, name: string) => {
  const value = Math.round(Number(text));
  if (!(value > 0)) throw new Error(`--${name} must be a positive number, got ${text}`);
  return value;
};
const seconds = positive(values.seconds, "seconds");
const repeats = positive(values.repeats, "repeats");
const sessions = positive(values.sessions, "sessions");
const concurrency = positive(values.concurrency, "concurrency");
const WARMUP_SECONDS = 1;
const SAMPLE_PER_RUN = 5;
const TARGET = 0.8;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** `lanes` lanes, each with its own session, signing back to back with the CA's issuing key. */
async function rawSign(module: Pkcs11Module, tokenLabel: string, keyLabel: string, lanes: number) {
  const lib = module.lib;
  const slot = lib.C_GetSlotList(true).find((candidate) => lib.C_GetTokenInfo(candidate).label.trim() === tokenLabel)!;
  const opened: Handle[] = Array.from({ length: lanes }, () => lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION));
  lib.C_FindObjectsInit(opened[0]!, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_LABEL, value: keyLabel },
  ]);
  const [key] = lib.C_FindObjects(opened[0]!, 1);
  lib.C_FindObjectsFinal(opened[0]!);
  const digestInfo = Buffer.concat([digestInfoPrefix("sha256", 32), digest("sha256", Buffer.from("raw C_Sign"))]);
  const idle = [...opened];
  return {
    run: () =>
      closedLoop(
        async () => {
          const session = idle.pop()!;
          try {
            lib.C_SignInit(session, { mechanism: pkcs11js.CKM_RSA_PKCS }, key!);
            await lib.C_SignAsync(session, digestInfo, Buffer.alloc(512));
          } finally {
            idle.push(session);
          }
        },
        { concurrency: lanes, seconds, warmupSeconds: WARMUP_SECONDS },
      ),
    close: () => {
      for (const session of opened) lib.C_CloseSession(session);
    },
  };
}

async function main(): Promise<void> {
  const machine = await describeMachine();
  const loadBefore = loadavg();
  const work = await mkdtemp(join(tmpdir(), "qoltanba-hsm-bench-"));
  let ca: CertificateAuthority | undefined;
  const token = createSoftHsmToken("bench");
  try {
    const dir = join(work, "ca");
    log("initialising a CA with its keys in SoftHSM2…");
    await initCertificateAuthority({ dir, hsm: { module: SOFTHSM_MODULE, slotLabel: token.label, pin: TEST_PIN } });
    ca = await openCertificateAuthority(dir, { hsmPins: new Map([[token.label, TEST_PIN]]), hsmSessions: sessions });
    log("making 200 RSA-2048 keys and CSRs…");
    const load = new IssuanceLoad(ca, await makeApplicants(200));
    const module = Pkcs11Module.open(SOFTHSM_MODULE);
    const keyLabel = ca.config.hsm!.keys.issuing.label;
    const rawOne = await rawSign(module, token.label, keyLabel, 1);
    const rawAll = await rawSign(module, token.label, keyLabel, sessions);
    const rawOneRuns: RunSummary[] = [];
    const rawRuns: RunSummary[] = [];
    const issuanceRuns: RunSummary[] = [];
    const samples: IssuedSample[] = [];
    const brief = (summary: RunSummary) => `${summary.perSecond.toFixed(0)}/s (${summary.cpuPerOperation.toFixed(0)} CPU µs)`;
    try {
      for (let round = 1; round <= repeats; round++) {
        const oneRun = summarize(await rawOne.run());
        rawOneRuns.push(oneRun);
        const rawRun = summarize(await rawAll.run());
        rawRuns.push(rawRun);
        const { result, sample } = await load.run({ concurrency, seconds, warmupSeconds: WARMUP_SECONDS, sampleSize: SAMPLE_PER_RUN });
        const issuanceRun = summarize(result);
        issuanceRuns.push(issuanceRun);
        samples.push(...sample);
        log(`round ${round}/${repeats}: raw C_Sign, 1 session ${brief(oneRun)}, ${sessions} sessions ${brief(rawRun)}; issuance ${brief(issuanceRun)}`);
      }
    } finally {
      rawOne.close();
      rawAll.close();
      module.close();
    }
    await mkdir(join(work, "verify"));
    const verified = await opensslVerify(join(work, "verify"), ca.certificates.root, ca.certificates.issuing, samples.map((sample) => sample.certificate));
    const recorded = await ca.store.countCertificates();
    if (recorded !== load.issued) throw new Error(`${load.issued} certificates returned but ${recorded} recorded`);

    const cores = machine.cores;
    const medians = { one: medianSummary(rawOneRuns), all: medianSummary(rawRuns), issuance: medianSummary(issuanceRuns) };
    // What the CPU cost allows with the cores to itself: every core busy, or the main thread saturated.
    const estimate = (summary: RunSummary) => Math.min(1e6 / summary.mainThreadPerOperation, (cores * 1e6) / summary.cpuPerOperation);
    const estimateOne = Math.min(1e6 / medians.one.cpuPerOperation, estimate(medians.one));
    const fixed = (value: number, digits = 0) => value.toFixed(digits);
    const row = (name: string, inFlight: number, median: ReturnType<typeof medianSummary>, ceiling: number) =>
      `| ${name} | ${inFlight} | **${fixed(median.perSecond)}** | ${median.runs.map((rate) => fixed(rate)).join(", ")} | ${fixed(median.p50, 1)} | ${fixed(median.cpuPerOperation)} | ${fixed(median.mainThreadPerOperation)} | ${Math.round(median.ownShare * 100)}% | **${fixed(ceiling)}** |`;
    const ratio = (against: ReturnType<typeof medianSummary>, againstEstimate: number, label: string) => {
      const wall = medians.issuance.perSecond / against.perSecond;
      const estimated = estimate(medians.issuance) / againstEstimate;
      const rounds = issuanceRuns.map((run, index) => fixed(run.perSecond / (against === medians.one ? rawOneRuns : rawRuns)[index]!.perSecond, 2));
      const verdict = (value: number) => (value >= TARGET ? "**met**" : "**not met**");
      return `- issuance ÷ raw C_Sign on ${label}: wall-clock medians **${fixed(wall, 2)}** (rounds: ${rounds.join(", ")}), ${verdict(wall)}; CPU-bound estimates **${fixed(estimated, 2)}**, ${verdict(estimated)} (target ≥ ${TARGET})`;
    };
    const load1 = (values: number[]) => values.map((value) => value.toFixed(2)).join(" / ");
    process.stdout.write(
      [
        `- CPU: ${machine.cpu}, ${cores} cores; Node ${machine.node}; SoftHSM2 (${SOFTHSM_MODULE}), file object store; a pool of ${sessions} sessions`,
        `- load average (1/5/15 min) before: ${load1(loadBefore)}, after: ${load1(loadavg())}`,
        `- median of ${repeats} interleaved rounds of ${seconds} s each (after ${WARMUP_SECONDS} s of warm-up)`,
        "",
        "| setup | in flight | per second (wall) | runs | p50 ms | CPU µs/op | main thread µs/op | used by this run | CPU-bound estimate /s, cores to itself |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        row("raw `C_SignInit` + `C_Sign`, 1 session", 1, medians.one, estimateOne),
        row(`raw \`C_SignInit\` + \`C_Sign\`, ${sessions} sessions`, sessions, medians.all, estimate(medians.all)),
        row("issuance (SQLite), issuing key on SoftHSM2", concurrency, medians.issuance, estimate(medians.issuance)),
        "",
        ratio(medians.one, estimateOne, "one session"),
        ratio(medians.all, estimate(medians.all), `${sessions} sessions (every core)`),
        `- checks: ${verified} sampled certificates pass \`openssl verify\` to the root; ${recorded} certificates returned = recorded`,
        "",
      ].join("\n"),
    );
  } finally {
    await ca?.close();
    await rm(work, { recursive: true, force: true });
    // The token's own SoftHSM2 folder (configuration and token store).
    await rm(dirname(dirname(token.folder)), { recursive: true, force: true });
  }
}

await main();
