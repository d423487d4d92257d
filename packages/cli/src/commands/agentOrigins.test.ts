import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentFiles, OriginApprovals } from "@qoltanba/agent";
import { BIN } from "../testSupport.ts";

const qoltanba = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });

test("qoltanba agent origins lists the approved origins and revokes one", async (t) => {
  const home = mkdtempSync(join(tmpdir(), "qoltanba-agent-origins-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const approvals = new OriginApprovals(agentFiles(home).origins);
  await approvals.approve("https://portal.example.kz");
  await approvals.approve("local");

  const listed = qoltanba(["agent", "origins", "--home", home]);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /^https:\/\/portal\.example\.kz\tapproved \d{4}-\d\d-\d\dT/m);
  assert.match(listed.stdout, /^local\t/m);

  const revoked = qoltanba(["agent", "origins", "revoke", "https://portal.example.kz", "--home", home]);
  assert.equal(revoked.status, 0, revoked.stderr);
  assert.deepEqual(
    (await approvals.list()).map((entry) => entry.origin),
    ["local"],
  );
  assert.equal(
    qoltanba(["agent", "origins", "revoke", "https://portal.example.kz", "--home", home]).status,
    1,
  );
  assert.equal(qoltanba(["agent", "origins", "frobnicate", "--home", home]).status, 2);
});
