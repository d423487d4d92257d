import { test } from "node:test";
import assert from "node:assert/strict";
import { OriginApprovals } from "../state/originApprovals.ts";
import { agentFiles } from "../state/agentHome.ts";
import { connect, startTestAgent } from "../testing/testAgent.ts";
import { ScriptedDialogs } from "../testing/scriptedDialogs.ts";

const PORTAL = "https://portal.example.kz";

test("each new origin is asked once at a time; always is remembered until revoked; deny holds for the run", async (t) => {
  const dialogs = new ScriptedDialogs();
  const agent = await startTestAgent(undefined, { dialogs });
  t.after(() => agent.dispose());

  dialogs.origin = "always";
  const [first, second] = await Promise.all([
    connect(agent, { origin: PORTAL }),
    connect(agent, { origin: PORTAL }),
  ]);
  assert.deepEqual(dialogs.asked, [`origin ${PORTAL}`]);
  first.close();
  second.close();
  (await connect(agent, { origin: PORTAL })).close();
  assert.equal(dialogs.asked.length, 1);

  await new OriginApprovals(agentFiles(agent.home).origins).revoke(PORTAL);
  dialogs.origin = "once";
  (await connect(agent, { origin: PORTAL })).close();
  (await connect(agent, { origin: PORTAL })).close();
  assert.equal(dialogs.asked.length, 3);

  dialogs.origin = "deny";
  await assert.rejects(connect(agent), /closed 1008/);
  await assert.rejects(connect(agent), /closed 1008/);
  assert.deepEqual(dialogs.asked.slice(3), ["origin local"]);
  // Closing the question without an answer refuses this connection only.
  dialogs.origin = undefined;
  await assert.rejects(connect(agent, { origin: "https://other.example" }), /closed 1008/);
  await assert.rejects(connect(agent, { origin: "https://other.example" }), /closed 1008/);
  assert.deepEqual(dialogs.asked.slice(4), ["origin https://other.example", "origin https://other.example"]);
});
