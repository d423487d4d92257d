// `qoltanba serve --workers 2` as an operator meets it: a worker that dies is replaced, and SIGTERM
// stops every process within a bounded time, killing a worker that does not stop by itself.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { initCertificateAuthority } from "@qoltanba/ca";
import { temporaryDirectory, TEST_PASSWORD } from "../../ca/src/testSupport.ts";
import { STOP_GRACE_MILLISECONDS } from "./commands/serveWorkers.ts";

const BIN = resolve(import.meta.dirname, "../bin/qoltanba.js");

const workersOf = (pid: number) =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function eventually(what: string, check: () => boolean, milliseconds = 30_000): Promise<void> {
  const deadline = Date.now() + milliseconds;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${milliseconds} ms`);
    await new Promise((resolveLater) => setTimeout(resolveLater, 100));
  }
}

describe("qoltanba serve --workers", () => {
  let dir: string;
  const started: ChildProcess[] = [];

  before(async () => {
    dir = join(temporaryDirectory("qoltanba-serve-workers-"), "ca");
    await initCertificateAuthority({ dir, password: TEST_PASSWORD, issuingKeyBits: 2048 });
  });
  after(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  /** Starts the server and resolves with it and its stderr so far once it serves. */
  async function serve(): Promise<{ server: ChildProcess; url: string; stderr: () => string }> {
    const server = spawn(process.execPath, [BIN, "serve", "--dir", dir, "--listen", "127.0.0.1:0", "--workers", "2"], {
      env: { ...process.env, QOLTANBA_KEY_PASSWORD: TEST_PASSWORD },
      stdio: ["ignore", "ignore", "pipe"],
    });
    started.push(server);
    let seen = "";
    const url = await new Promise<string>((resolveUrl, reject) => {
      server.stderr!.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /serving on (http:\/\/\S+)/.exec(seen);
        if (match) resolveUrl(match[1]!.replace("localhost", "127.0.0.1"));
      });
      server.once("exit", () => reject(new Error(`serve exited: ${seen}`)));
      setTimeout(() => reject(new Error(`serve did not start within 60 s: ${seen}`)), 60_000).unref();
    });
    return { server, url, stderr: () => seen };
  }

  test("a worker that dies after start is replaced, and the server keeps answering", async () => {
    const { server, url, stderr } = await serve();
    const [first, second] = workersOf(server.pid!);
    assert.ok(first && second, "two workers");
    process.kill(first, "SIGKILL");
    await eventually("a new worker", () => {
      const now = workersOf(server.pid!);
      return now.length === 2 && !now.includes(first) && now.includes(second);
    });
    assert.match(stderr(), new RegExp(`worker ${first} exited \\(SIGKILL\\); starting another`));
    for (let index = 0; index < 6; index++) assert.equal((await fetch(`${url}/cert/root.cer`, { signal: AbortSignal.timeout(10_000) })).status, 200);
    const exited = new Promise((resolveExit) => server.once("exit", (code) => resolveExit(code)));
    server.kill("SIGTERM");
    assert.equal(await exited, 0);
  });

  test("a worker that cannot start ends the server with its reason and a failure exit code, instead of leaving it waiting", () => {
    const run = spawnSync(process.execPath, [BIN, "serve", "--dir", dir, "--listen", "127.0.0.1:0", "--workers", "2"], {
      // Only the workers open the portal's database: the primary starts, its workers fail.
      env: { ...process.env, QOLTANBA_KEY_PASSWORD: TEST_PASSWORD, QOLTANBA_PORTAL_DATABASE: "mysql://127.0.0.1/portal" },
      encoding: "utf8",
      timeout: 120_000, // a hang is the failure this test is about: it is killed, and the check below says so
      killSignal: "SIGKILL",
    });
    assert.equal(run.signal, null, `serve did not end by itself: ${run.stderr}`);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /database URL must start with sqlite: or postgres:\/\/, got mysql:/);
    assert.match(run.stderr, /qoltanba: a worker could not start: its reason is above\n/);
    assert.doesNotMatch(run.stderr, /internal error/);
  });

  test("SIGTERM stops every process; a worker that does not stop is killed after the grace period", async () => {
    const { server, stderr } = await serve();
    const workers = workersOf(server.pid!);
    process.kill(workers[0]!, "SIGSTOP"); // it cannot act on SIGTERM, as a worker stuck in a loop would not
    const began = Date.now();
    const exited = new Promise((resolveExit) => server.once("exit", (code) => resolveExit(code)));
    server.kill("SIGTERM");
    assert.equal(await exited, 0);
    const took = Date.now() - began;
    assert.ok(took >= STOP_GRACE_MILLISECONDS - 100, `the stuck worker was given the grace period (${took} ms)`);
    assert.match(stderr(), new RegExp(`worker ${workers[0]} still running ${STOP_GRACE_MILLISECONDS} ms after SIGTERM: killed`));
    for (const pid of workers) await eventually(`worker ${pid} gone`, () => !alive(pid), 5000);
  });
});
