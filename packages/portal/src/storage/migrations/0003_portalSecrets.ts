import type { Kysely, Migration } from "kysely";

/** Secrets every node of the portal must share (the CSRF key), made by the first node that needs one. */
export const portalSecrets: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("portal_secrets")
      .addColumn("name", "text", (column) => column.primaryKey())
      .addColumn("value", "text", (column) => column.notNull())
      .execute();
  },
};
