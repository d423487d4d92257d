import type { Kysely, Migration } from "kysely";

/** The audit sequence number of a certificate's latest revocation change: delta CRLs list changes after their base. */
export const revocationSeq: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("certificates").addColumn("revocation_seq", "integer").execute();
    await db.schema.createIndex("certificates_revocation_seq").on("certificates").column("revocation_seq").execute();
  },
};
