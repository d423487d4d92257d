import type { Kysely, Migration } from "kysely";
import type { Engine } from "@qoltanba/ca";
import { serialId, sessionColumns, signedDocumentColumns } from "./columns.ts";

/**
 * The Registration Center console: operators, sessions, single-use nonces, identity checks, signed
 * decisions and their hash-chained log; and the work queue's indexes. Every queue query orders by
 * (submitted_at, number) descending and pages by that key, so each index ends with those two.
 */
export function consoleTables(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const [name, columns] of [
        ["applications_queue_submitted", ["submitted_at", "number"]],
        ["applications_queue_iin", ["iin", "submitted_at", "number"]],
        ["applications_queue_surname", ["surname", "submitted_at", "number"]],
        ["applications_queue_status", ["status", "submitted_at", "number"]],
        ["applications_queue_center", ["center", "status", "submitted_at", "number"]],
        ["applications_queue_region", ["region", "status", "submitted_at", "number"]],
      ] as const)
        await db.schema
          .createIndex(name)
          .on("applications")
          .columns([...columns])
          .execute();

      await db.schema
        .createTable("sign_challenges")
        .addColumn("nonce", "text", (column) => column.primaryKey())
        .addColumn("audience", "text", (column) => column.notNull())
        .addColumn("document_sha256", "text")
        .addColumn("expires_at", "text", (column) => column.notNull())
        .addColumn("used_at", "text")
        .execute();
      await db.schema
        .createIndex("sign_challenges_expires")
        .on("sign_challenges")
        .column("expires_at")
        .execute();

      await serialId(engine, db.schema.createTable("operators"))
        .addColumn("iin", "text", (column) => column.notNull())
        .addColumn("role", "text", (column) => column.notNull())
        .addColumn("center", "text")
        .addColumn("region", "text")
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("enrolment_hash", "text", (column) => column.unique())
        .addColumn("enrolment_expires_at", "text")
        .addColumn("application_number", "text")
        .addColumn("auth_serial", "text", (column) => column.unique())
        .addColumn("sign_serial", "text", (column) => column.unique())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("created_by", "text", (column) => column.notNull())
        .execute();

      await sessionColumns(
        db.schema
          .createTable("console_sessions")
          .addColumn("token_hash", "text", (column) => column.primaryKey())
          .addColumn("operator_id", "integer", (column) => column.notNull()),
      ).execute();

      await db.schema
        .createTable("identity_checks")
        .addColumn("application_number", "text", (column) => column.primaryKey())
        .addColumn("document_type", "text", (column) => column.notNull())
        .addColumn("document_number", "text", (column) => column.notNull())
        .addColumn("checked_by", "integer", (column) => column.notNull())
        .addColumn("checked_at", "text", (column) => column.notNull())
        .execute();

      await signedDocumentColumns(
        serialId(engine, db.schema.createTable("decisions"))
          .addColumn("kind", "text", (column) => column.notNull())
          .addColumn("application_number", "text")
          .addColumn("certificate_serial", "text")
          .addColumn("operator_id", "integer", (column) => column.notNull()),
      ).execute();
      await db.schema
        .createIndex("decisions_application")
        .on("decisions")
        .column("application_number")
        .execute();

      await db.schema
        .createTable("console_audit")
        .addColumn("seq", "integer", (column) => column.primaryKey())
        .addColumn("at", "text", (column) => column.notNull())
        .addColumn("action", "text", (column) => column.notNull())
        .addColumn("details", "text", (column) => column.notNull())
        .addColumn("prev_hash", "text", (column) => column.notNull())
        .addColumn("hash", "text", (column) => column.notNull())
        .execute();
    },
  };
}
