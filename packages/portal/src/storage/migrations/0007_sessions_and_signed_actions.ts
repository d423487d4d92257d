import { sql, type Kysely, type Migration } from "kysely";
import type { Engine } from "@qoltanba/ca";
import { appendConsoleAudit } from "../consoleAuditAppend.ts";
import type { PortalDatabase } from "../schema.ts";
import { serialId, sessionColumns, signedDocumentColumns } from "./columns.ts";

/**
 * One `sessions` table and one `signed_actions` table for the console and the cabinet, each row
 * bound to its audience, instead of console_sessions + cabinet_sessions and decisions +
 * cabinet_actions. The rows move over, so a portal upgraded in place keeps its sessions and its
 * console log verifying: sessions keep their token hashes, decisions their ids, every signed
 * action its document, CMS and audit_seq. The cabinet's actions are numbered after the decisions
 * (old id + the highest decision id); when that changes any, a `signed-actions-merged` entry in the
 * console log says by how much, so an earlier `cabinet-action-failed` entry still finds its action.
 */
export function sessionsAndSignedActions(engine: Engine): Migration {
  const move = async (db: Kysely<PortalDatabase>) => {
    await sessionColumns(
      db.schema
        .createTable("sessions")
        .addColumn("token_hash", "text", (column) => column.primaryKey())
        .addColumn("audience", "text", (column) => column.notNull())
        .addColumn("operator_id", "integer")
        .addColumn("iin", "text"),
    )
      .addCheckConstraint(
        "sessions_holder",
        sql`(audience = 'console' and operator_id is not null and iin is null)
          or (audience = 'cabinet' and iin is not null and operator_id is null)`,
      )
      .execute();
    const moveSessions = sql`insert into sessions
        (token_hash, audience, operator_id, iin, serial, created_at, expires_at, ended_at)
      select token_hash, 'console', operator_id, null, serial, created_at, expires_at, ended_at from console_sessions
      union all
      select token_hash, 'cabinet', null, iin, serial, created_at, expires_at, ended_at from cabinet_sessions`;
    await moveSessions.execute(db);

    await signedDocumentColumns(
      serialId(engine, db.schema.createTable("signed_actions"))
        .addColumn("audience", "text", (column) => column.notNull())
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("application_number", "text")
        .addColumn("certificate_serial", "text")
        .addColumn("operator_id", "integer"),
    )
      .addUniqueConstraint("signed_actions_audit_seq", ["audit_seq"])
      .addCheckConstraint(
        "signed_actions_signer",
        sql`(audience = 'console' and kind in ('confirm', 'reject', 'revoke') and operator_id is not null)
          or (audience = 'cabinet' and kind in ('revoke', 'renew') and operator_id is null)`,
      )
      .execute();
    await db.schema
      .createIndex("signed_actions_audience")
      .on("signed_actions")
      .columns(["audience", "id"])
      .execute();
    await db.schema
      .createIndex("signed_actions_application")
      .on("signed_actions")
      .columns(["audience", "application_number", "id"])
      .execute();

    const { offset } = await db
      .selectFrom("decisions" as never)
      .select(sql<number>`coalesce(max(id), 0)`.as("offset"))
      .executeTakeFirstOrThrow();
    await sql`insert into signed_actions (id, audience, kind, application_number, certificate_serial,
        operator_id, signer_serial, document, cms, at, outcome, audit_seq)
      select id, 'console', kind, application_number, certificate_serial,
        operator_id, signer_serial, document, cms, at, outcome, audit_seq from decisions
      union all
      select id + ${offset}, 'cabinet', kind, application_number, certificate_serial,
        null, signer_serial, document, cms, at, outcome, audit_seq from cabinet_actions`.execute(db);
    if (engine === "postgres")
      await sql`select setval(pg_get_serial_sequence('signed_actions', 'id'), coalesce(max(id), 0) + 1, false)
        from signed_actions`.execute(db);
    const { moved } = await db
      .selectFrom("cabinet_actions" as never)
      .select(sql<number>`count(*)`.as("moved"))
      .executeTakeFirstOrThrow();
    if (Number(moved) > 0 && Number(offset) > 0)
      await appendConsoleAudit(
        db,
        engine,
        "signed-actions-merged",
        { cabinetActions: Number(moved), cabinetActionIdsPlus: Number(offset) },
        new Date(),
      );

    for (const table of ["console_sessions", "cabinet_sessions", "decisions", "cabinet_actions"])
      await db.schema.dropTable(table).execute();
  };
  return {
    // Migrations run in one transaction on both engines (see openMigratedDatabase): an upgrade
    // that fails half-way leaves the old tables as they were.
    up: (db: Kysely<unknown>) => move(db as Kysely<PortalDatabase>),
  };
}
