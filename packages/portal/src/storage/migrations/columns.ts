import type { CreateTableBuilder } from "kysely";
import type { Engine } from "@qoltanba/ca";

// Column sets more than one migration creates. A migration that ran must stay as it ran: change
// none of these; a new shape is a new helper.

type Table = CreateTableBuilder<string, string>;

/** An integer primary key the database numbers (serial on PostgreSQL, autoincrement on SQLite). */
export const serialId = (engine: Engine, table: Table): Table =>
  table.addColumn("id", engine === "postgres" ? "serial" : "integer", (column) =>
    engine === "postgres" ? column.primaryKey() : column.primaryKey().autoIncrement(),
  );

/** A login session's certificate and times, after whose session it is. */
export const sessionColumns = (table: Table): Table =>
  table
    .addColumn("serial", "text", (column) => column.notNull())
    .addColumn("created_at", "text", (column) => column.notNull())
    .addColumn("expires_at", "text", (column) => column.notNull())
    .addColumn("ended_at", "text");

/** A signed action's signer, document, CMS, time, outcome and console-log entry, after what it is about. */
export const signedDocumentColumns = (table: Table): Table =>
  table
    .addColumn("signer_serial", "text", (column) => column.notNull())
    .addColumn("document", "text", (column) => column.notNull())
    .addColumn("cms", "text", (column) => column.notNull())
    .addColumn("at", "text", (column) => column.notNull())
    .addColumn("outcome", "text", (column) => column.notNull())
    .addColumn("audit_seq", "integer", (column) => column.notNull());
