import type { Kysely, Migration } from "kysely";
import type { Engine } from "@qoltanba/ca";
import { serialId, sessionColumns, signedDocumentColumns } from "./columns.ts";

/**
 * The personal cabinet: its sessions (apart from the console's, so neither opens the other), the
 * person's signed actions (revoke, renew), what the expiry reminders need (each issued
 * certificate's notAfter, and how far the sweep has read the issued applications), and the
 * outbox's certificate column: one reminder row per (certificate, threshold), unique, so a sweep
 * that runs twice or after a restart can never send a reminder twice.
 */
export function cabinetTables(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sessionColumns(
        db.schema
          .createTable("cabinet_sessions")
          .addColumn("token_hash", "text", (column) => column.primaryKey())
          .addColumn("iin", "text", (column) => column.notNull()),
      ).execute();

      await signedDocumentColumns(
        serialId(engine, db.schema.createTable("cabinet_actions"))
          .addColumn("kind", "text", (column) => column.notNull())
          .addColumn("certificate_serial", "text")
          .addColumn("application_number", "text"),
      ).execute();

      await db.schema
        .createTable("certificate_expiries")
        .addColumn("serial", "text", (column) => column.primaryKey())
        .addColumn("application_number", "text", (column) => column.notNull())
        .addColumn("not_after", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex("certificate_expiries_not_after")
        .on("certificate_expiries")
        .column("not_after")
        .execute();
      await db.schema
        .createTable("reminder_progress")
        .addColumn("name", "text", (column) => column.primaryKey())
        .addColumn("issued_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex("applications_issued_at")
        .on("applications")
        .columns(["issued_at", "number"])
        .execute();

      await db.schema.alterTable("outbox").addColumn("certificate_serial", "text").execute();
      await db.schema
        .createIndex("outbox_certificate_kind")
        .unique()
        .on("outbox")
        .columns(["certificate_serial", "kind"])
        .execute();
    },
  };
}
