// Runs every *.test.ts under packages/ with node:test (TypeScript through tsx).
// Usage: node scripts/test.mjs [path-filter ...]
//
// A test that hangs must fail the run, not stall CI: every test has a time limit, and the whole
// run has one too, after which the test files still running are named and everything is killed.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawn, spawnSync } from "node:child_process";

const TEST_TIMEOUT_MILLISECONDS = 10 * 60_000;
const RUN_TIMEOUT_MILLISECONDS = Number(process.env.QOLTANBA_TEST_RUN_MINUTES ?? 25) * 60_000;

function findTests(dir, found = []) {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules") continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) findTests(path, found);
    else if (entry.endsWith(".test.ts")) found.push(path);
  }
  return found;
}

/** The test files whose processes are still running in the run's process group (led by the runner). */
function runningTestFiles(groupId) {
  const ps = spawnSync("ps", ["-o", "pid=,pgid=,etimes=,args=", "-e"], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, pgid]) => Number(pgid) === groupId && Number(pid) !== groupId)
    .flatMap(([, , seconds, ...args]) =>
      args.filter((arg) => arg.endsWith(".test.ts")).map((file) => `${file} (running ${seconds} s)`),
    );
}

const filters = process.argv.slice(2);
const files = findTests("packages")
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const run = spawn(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=2",
    `--test-timeout=${TEST_TIMEOUT_MILLISECONDS}`,
    "--test-reporter=spec",
    ...files,
  ],
  { stdio: "inherit", detached: true },
);
const watchdog = setTimeout(() => {
  const stuck = runningTestFiles(run.pid);
  console.error(
    `\nthe test run passed its ${RUN_TIMEOUT_MILLISECONDS / 60_000}-minute limit; still running:\n  ${stuck.join("\n  ") || "(no test file: the runner itself)"}`,
  );
  killLeftovers();
  process.exit(1);
}, RUN_TIMEOUT_MILLISECONDS);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.kill(-run.pid, signal));
run.on("exit", (code, signal) => {
  clearTimeout(watchdog);
  killLeftovers();
  process.exit(code ?? (signal ? 1 : 0));
});

/** A process a test left behind would hold CI's output open: the run's group goes with it. */
function killLeftovers() {
  try {
    process.kill(-run.pid, "SIGKILL");
  } catch {
    // the group is already empty
  }
}
