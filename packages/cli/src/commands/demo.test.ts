// `qoltanba demo`, the README's main job: a CA created on the first run and reused after, the
// portal, console and services up, the demo operator's enrolment link and persons printed, and a
// clean stop on Ctrl-C.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { temporaryDirectory } from "../../../ca/src/testSupport.ts";
import { BIN, freePort } from "../testSupport.ts";

/** Runs the demo until it says it is up, checks it over HTTP, then stops it with SIGINT. */
async function runDemo(dir: string, listen: string): Promise<{ output: string; exitCode: number | null }> {
  const demo = spawn(process.execPath, [BIN, "demo", "--dir", dir, "--listen", listen, "--without-agent"], {
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "QOLTANBA_KEY_PASSWORD")),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  await new Promise<void>((up, failed) => {
    demo.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (/Demo persons to apply as \(IIN, name\):\n(?: {2}\d{12} .+\n){10}/.test(output)) up();
    });
    demo.once("exit", (code) => failed(new Error(`the demo exited (${code}): ${output}`)));
  });
  for (const path of ["/", "/console", "/cert/root.cer", "/crl/issuing.crl"])
    assert.equal((await fetch(`http://${listen}${path}`)).status, 200, path);
  const exited = once(demo, "exit") as Promise<[number | null]>;
  demo.kill("SIGINT");
  const [exitCode] = await exited;
  return { output, exitCode };
}

test(
  "qoltanba demo: first run creates the CA and the operator's link, a second run reuses both; Ctrl-C stops it",
  { timeout: 180_000 },
  async () => {
    const dir = join(temporaryDirectory("qoltanba-demo-"), "ca");
    const listen = `127.0.0.1:${await freePort()}`;
    const first = await runDemo(dir, listen);
    assert.equal(first.exitCode, 0, first.output);
    assert.match(first.output, /creating a demo CA/);
    assert.match(first.output, new RegExp(`enrollment portal +http://${listen}/`));
    assert.match(first.output, new RegExp(`Registration Center +http://${listen}/console`));
    assert.match(first.output, /local agent +not started/);
    assert.match(first.output, /900314300015 +ТЕСТОВ ТЕСТ ТЕСТОВИЧ/);
    const link = new RegExp(`http://${listen}/console/enrol#\\S+`).exec(first.output)?.[0];
    assert.ok(link, first.output);
    assert.equal(
      statSync(join(dir, "demo-password")).mode & 0o777,
      0o600,
      "the demo password is the owner's only",
    );

    const second = await runDemo(dir, listen);
    assert.equal(second.exitCode, 0, second.output);
    assert.doesNotMatch(second.output, /creating a demo CA/);
    assert.ok(second.output.includes(link), "the unused link is shown again");
    assert.ok(existsSync(join(dir, "demo-operator-link")));
  },
);
