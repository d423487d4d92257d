// Upgrading a portal in place to one sessions table and one signed_actions table, on both engines:
// the sessions opened before still open the console and the cabinet (and only their own), the
// console log still verifies, every signed decision and cabinet action re-verifies against its CMS
// (made by OpenSSL) and the CA, and a tampered row or entry is still caught.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { inProcessCaClient } from "../../caClient.ts";
import { Portal } from "../../portal.ts";
import { DEMO_PERSONS, temporaryDirectory, testDatabases } from "../../testSupport.ts";
import { portalBeforeMerge, type PortalBeforeMerge } from "./upgradeTestSupport.ts";

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`migration 0007 (one sessions and one signed_actions table) on ${database.engine}`, () => {
    let old: PortalBeforeMerge;
    let portal: Portal;

    before(async () => {
      old = await portalBeforeMerge(database, temporaryDirectory("qoltanba-upgrade-"));
      portal = await Portal.open({
        ca: inProcessCaClient(old.ca),
        databaseUrl: old.databaseUrl,
        baseDir: old.dir,
        registry: { kind: "embedded", file: DEMO_PERSONS },
      });
    });
    after(async () => {
      await portal?.close();
      await old?.ca.close();
      await database.drop();
    });

    test("decisions keep their ids, cabinet actions follow them, and the log says by how much", async () => {
      const decisions = await portal.signedActions.list("console", { limit: 10 });
      assert.deepEqual(
        decisions.map((decision) => [decision.id, decision.kind, decision.operatorId]),
        [
          [2, "confirm", old.operatorId],
          [1, "reject", old.operatorId],
        ],
      );
      const [action] = await portal.signedActions.list("cabinet", { limit: 10 });
      assert.equal(action?.id, 3);
      assert.equal(action.kind, "revoke");
      assert.equal(action.certificateSerial, old.person.authSerial);
      assert.match(action.outcome, /^failed: /);

      const entries = await portal.consoleStore.recentAudit(2);
      assert.deepEqual(
        entries.map((entry) => [entry.action, entry.details]),
        [
          ["signed-actions-merged", '{"cabinetActions":1,"cabinetActionIdsPlus":2}'],
          ["cabinet-action-failed", '{"action":1}'],
        ],
      );
      assert.equal(entries[0]!.seq, old.entries + 1);
    });

    test("the console log verifies, and every signed decision and cabinet action re-verifies", async () => {
      assert.deepEqual(await portal.console.verifyAudit(), { count: old.entries + 1, problems: [] });
      for (const decision of await portal.signedActions.list("console", { limit: 10 }))
        assert.deepEqual((await portal.console.decisions.reverify(decision)).problems, []);
      const [action] = await portal.signedActions.list("cabinet", { limit: 10 });
      assert.deepEqual((await portal.cabinet.reverify(action!)).problems, []);
    });

    test("the sessions opened before the upgrade still open their own site, and only theirs", async () => {
      assert.equal((await portal.console.session(old.consoleToken))?.operator.id, old.operatorId);
      assert.deepEqual(await portal.cabinet.session(old.cabinetToken), {
        iin: old.person.iin,
        serial: old.person.authSerial,
      });
      assert.equal(await portal.console.session(old.cabinetToken), undefined);
      assert.equal(await portal.cabinet.session(old.consoleToken), undefined);
      assert.equal(await portal.sessions.live("console", old.cabinetToken, new Date()), undefined);
      assert.equal(await portal.sessions.live("cabinet", old.consoleToken, new Date()), undefined);
      // Logging out with the other site's token ends nothing; with its own it ends the session.
      await portal.console.signOut(old.cabinetToken);
      assert.ok(await portal.cabinet.session(old.cabinetToken));
      await portal.cabinet.signOut(old.cabinetToken);
      assert.equal(await portal.cabinet.session(old.cabinetToken), undefined);
    });

    test("a row that names the wrong holder for its audience is refused by the database", async () => {
      const row = { serial: "01", created_at: "", expires_at: "", ended_at: null };
      await assert.rejects(
        portal.store.db
          .insertInto("sessions")
          .values({ ...row, token_hash: "a", audience: "cabinet", operator_id: old.operatorId, iin: null })
          .execute(),
        /sessions_holder/,
      );
      await assert.rejects(
        portal.store.db
          .insertInto("sessions")
          .values({ ...row, token_hash: "b", audience: "console", operator_id: null, iin: old.person.iin })
          .execute(),
        /sessions_holder/,
      );
    });

    test("after the upgrade a tampered signed action or log entry is still caught", async () => {
      await portal.store.db
        .updateTable("signed_actions")
        .set({ certificate_serial: old.person.signSerial })
        .where("audience", "=", "cabinet")
        .execute();
      const [action] = await portal.signedActions.list("cabinet", { limit: 10 });
      assert.deepEqual((await portal.cabinet.reverify(action!)).problems, [
        "the stored fields do not say what the signed document says",
      ]);
      await portal.store.db
        .updateTable("console_audit")
        .set({ details: sql`replace(details, ${`"operator":${old.operatorId}`}, '"operator":99')` })
        .where("action", "=", "login")
        .execute();
      const { problems } = await portal.console.verifyAudit();
      assert.deepEqual(
        problems.map((problem) => problem.seq),
        [1],
      );
    });

    test("the next signed action is numbered after the moved ones", async () => {
      const [moved] = await portal.signedActions.list("cabinet", { limit: 1 });
      const id = await portal.signedActions.record({ ...moved!, at: new Date() });
      assert.equal(id, 4);
    });
  });
}
