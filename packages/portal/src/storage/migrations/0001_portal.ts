import { sql, type Kysely, type Migration } from "kysely";
import type { Engine } from "@qoltanba/ca";
import { serialId } from "./columns.ts";

export function portalTables(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("applications")
        .addColumn("number", "text", (column) => column.primaryKey())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("iin", "text")
        .addColumn("surname", "text")
        .addColumn("given_name", "text")
        .addColumn("patronymic", "text")
        .addColumn("email", "text")
        .addColumn("language", "text", (column) => column.notNull())
        .addColumn("region", "text", (column) => column.notNull())
        .addColumn("locality", "text", (column) => column.notNull())
        .addColumn("center", "text", (column) => column.notNull())
        .addColumn("storage", "text", (column) => column.notNull())
        .addColumn("auth_spki_sha256", "text")
        .addColumn("sign_spki_sha256", "text")
        .addColumn("receipt_hash", "text")
        .addColumn("submitted_at", "text", (column) => column.notNull())
        .addColumn("deadline_at", "text", (column) => column.notNull())
        .addColumn("confirmed_at", "text")
        .addColumn("issued_at", "text")
        .addColumn("installed_at", "text")
        .addColumn("closed_at", "text")
        .addColumn("purged_at", "text")
        .addColumn("operator", "text")
        .addColumn("rejection_reason", "text")
        .addColumn("auth_serial", "text")
        .addColumn("sign_serial", "text")
        .execute();
      // A key may be in one application only, whatever its state (nulls after a purge do not clash).
      await db.schema
        .createIndex("applications_auth_key")
        .unique()
        .on("applications")
        .column("auth_spki_sha256")
        .execute();
      await db.schema
        .createIndex("applications_sign_key")
        .unique()
        .on("applications")
        .column("sign_spki_sha256")
        .execute();
      await db.schema
        .createIndex("applications_deadline")
        .on("applications")
        .columns(["status", "deadline_at"])
        .execute();
      await db.schema
        .createIndex("applications_closed")
        .on("applications")
        .columns(["status", "closed_at"])
        .execute();
      await db.schema
        .createTable("application_csrs")
        .addColumn("number", "text", (column) => column.primaryKey())
        .addColumn("auth_csr", "text", (column) => column.notNull())
        .addColumn("sign_csr", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("persons")
        .addColumn("iin", "text", (column) => column.primaryKey())
        .addColumn("surname", "text", (column) => column.notNull())
        .addColumn("given_name", "text", (column) => column.notNull())
        .addColumn("patronymic", "text")
        .execute();
      await db.schema
        .createTable("captchas")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("answer", "text", (column) => column.notNull())
        .addColumn("state", "text", (column) => column.notNull())
        .addColumn("expires_at", "text", (column) => column.notNull())
        .addColumn("iin", "text")
        .addColumn("application_number", "text")
        .execute();
      await db.schema.createIndex("captchas_expires").on("captchas").column("expires_at").execute();
      await serialId(engine, db.schema.createTable("outbox"))
        .addColumn("application_number", "text", (column) => column.notNull())
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("recipient", "text", (column) => column.notNull())
        .addColumn("language", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "text", (column) => column.notNull())
        .addColumn("claimed_until", "text")
        .addColumn("sent_at", "text")
        .addColumn("outcome", "text")
        .addColumn("last_error", "text")
        .execute();
      await db.schema
        .createIndex("outbox_pending")
        .on("outbox")
        .column("next_attempt_at")
        .where(sql.ref("outcome"), "is", null)
        .execute();
      await db.schema
        .createTable("counters")
        .addColumn("name", "text", (column) => column.primaryKey())
        .addColumn("value", "bigint", (column) => column.notNull())
        .execute();
      await db
        .insertInto("counters" as never)
        .values([
          { name: "users_total", value: 0 },
          { name: "users_individual", value: 0 },
          { name: "users_legal", value: 0 },
        ] as never)
        .execute();
      await db.schema
        .createTable("portal_users")
        .addColumn("iin", "text", (column) => column.primaryKey())
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("first_issued_at", "text", (column) => column.notNull())
        .execute();
    },
  };
}
