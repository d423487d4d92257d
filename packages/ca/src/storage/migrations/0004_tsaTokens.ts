import type { Kysely, Migration } from "kysely";

/**
 * Every time-stamp token the TSA issued, recorded before the token is sent: the serial's primary key
 * makes a repeated serial fail instead of reaching a client. `audit_seq` is the audit entry that
 * summarises the token (null until the next summary).
 */
export const tsaTokens: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("tsa_tokens")
      .addColumn("serial", "text", (column) => column.primaryKey())
      .addColumn("gen_time", "text", (column) => column.notNull())
      .addColumn("policy", "text", (column) => column.notNull())
      .addColumn("hash_algorithm", "text", (column) => column.notNull())
      .addColumn("message_imprint", "text", (column) => column.notNull())
      .addColumn("audit_seq", "integer")
      .execute();
    await db.schema.createIndex("tsa_tokens_audit_seq").on("tsa_tokens").column("audit_seq").execute();
  },
};
