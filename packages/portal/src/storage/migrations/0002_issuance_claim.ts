import type { Kysely, Migration } from "kysely";

/**
 * Who is issuing a confirmed application's certificates, and since when: a process claims the
 * application before it asks the CA, so two never issue at once, and a claim left by a crashed
 * process runs out and is taken over.
 */
export const issuanceClaim: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("applications").addColumn("issuance_claimed_at", "text").execute();
    await db.schema
      .createIndex("applications_issuance_claim")
      .on("applications")
      .columns(["status", "issuance_claimed_at"])
      .execute();
  },
};
