import { sql, type Kysely, type Migration } from "kysely";
import type { Engine } from "../database.ts";

export function certificatesAndAudit(engine: Engine): Migration {
  const binary = engine === "postgres" ? "bytea" : "blob";
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("certificates")
        .addColumn("serial", "text", (column) => column.primaryKey())
        .addColumn("profile", "text", (column) => column.notNull())
        .addColumn("owner", "text", (column) => column.notNull())
        .addColumn("spki_sha256", "text", (column) => column.notNull())
        .addColumn("not_before", "text", (column) => column.notNull())
        .addColumn("not_after", "text", (column) => column.notNull())
        .addColumn("issued_at", "text", (column) => column.notNull())
        .addColumn("der", sql.raw(binary), (column) => column.notNull())
        .addColumn("revoked_at", "text")
        .addColumn("revocation_reason", "text")
        .addColumn("invalidity_date", "text")
        .execute();
      await db.schema.createIndex("certificates_owner").on("certificates").column("owner").execute();
      await db.schema.createIndex("certificates_revoked_at").on("certificates").column("revoked_at").execute();
      await db.schema
        .createTable("public_keys")
        .addColumn("spki_sha256", "text", (column) => column.primaryKey())
        .addColumn("owner", "text", (column) => column.notNull())
        .addColumn("first_serial", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("audit_log")
        .addColumn("seq", "integer", (column) => column.primaryKey())
        .addColumn("at", "text", (column) => column.notNull())
        .addColumn("action", "text", (column) => column.notNull())
        .addColumn("details", "text", (column) => column.notNull())
        .addColumn("prev_hash", "text", (column) => column.notNull())
        .addColumn("hash", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("audit_head")
        .addColumn("id", "integer", (column) => column.primaryKey())
        .addColumn("seq", "integer", (column) => column.notNull())
        .addColumn("hash", "text", (column) => column.notNull())
        .execute();
    },
  };
}
