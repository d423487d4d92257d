import type { Kysely, Migration } from "kysely";

/**
 * Every CRL the CA signed. Full and delta CRLs of the issuing CA share one cRLNumber sequence
 * (RFC 5280 5.2.3); `revocation_mark` is the audit sequence the CRL is complete up to, so the next
 * delta lists exactly the changes after its base.
 */
export const crls: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("crls")
      .addColumn("number", "integer", (column) => column.primaryKey())
      .addColumn("kind", "text", (column) => column.notNull())
      .addColumn("base_number", "integer")
      .addColumn("this_update", "text", (column) => column.notNull())
      .addColumn("next_update", "text", (column) => column.notNull())
      .addColumn("revocation_mark", "integer", (column) => column.notNull())
      .addColumn("entry_count", "integer", (column) => column.notNull())
      .addColumn("byte_length", "integer", (column) => column.notNull())
      .addColumn("sha256", "text", (column) => column.notNull())
      .execute();
    await db.schema.createIndex("crls_kind_number").on("crls").columns(["kind", "number"]).execute();
  },
};
