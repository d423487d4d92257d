// `qoltanba console audit verify` on a portal upgraded in place by the command itself (migration
// 0007: one sessions and one signed_actions table), on both engines: the log and every signed
// decision and cabinet action verify; a tampered cabinet action is named and the exit code is 1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PortalStore } from "@qoltanba/portal";
import { temporaryDirectory, testDatabases } from "../../ca/src/testSupport.ts";
import { portalBeforeMerge } from "../../portal/src/storage/migrations/upgradeTestSupport.ts";
import { BIN, run } from "./testSupport.ts";

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  test(`console audit verify after the upgrade to one signed_actions table, on ${database.engine}`, async () => {
    try {
      const old = await portalBeforeMerge(database, temporaryDirectory("qoltanba-console-audit-"));
      await old.ca.close();
      const verify = () => run(process.execPath, [BIN, "console", "audit", "verify", "--dir", old.dir]);

      const intact = verify();
      assert.equal(intact.status, 0, intact.output);
      assert.equal(
        intact.output,
        // The entries written before, and the upgrade's own (signed-actions-merged).
        `console log intact: ${old.entries + 1} entries; signed decisions: 2 of 2 verify; cabinet actions: 1 of 1 verify\n`,
      );

      const store = await PortalStore.open(old.databaseUrl, old.dir);
      await store.db
        .updateTable("signed_actions")
        .set({ certificate_serial: old.person.signSerial })
        .where("id", "=", 3)
        .execute();
      await store.close();
      const tampered = verify();
      assert.equal(tampered.status, 1, tampered.output);
      assert.match(
        tampered.output,
        /cabinet action 3 \(revoke\): the stored fields do not say what the signed document says/,
      );
      assert.match(
        tampered.output,
        /console log intact: \d+ entries; signed decisions: 2 of 2 verify; cabinet actions: 0 of 1 verify/,
      );
    } finally {
      await database.drop();
    }
  });
}
