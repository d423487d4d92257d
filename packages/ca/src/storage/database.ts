import { isAbsolute, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type MigrationProvider, type SqliteDialectConfig } from "kysely";
import pg from "pg";
import { InputError } from "@qoltanba/pki";
import { migrations } from "./migrations.ts";
import type { Database } from "./schema.ts";

export type Engine = "sqlite" | "postgres";

export interface OpenedDatabase<DB = Database> {
  readonly db: Kysely<DB>;
  readonly engine: Engine;
  /** The PostgreSQL schema, when the URL named one. */
  readonly schema?: string;
  /** The SQLite handle under Kysely, for the few bulk reads where Kysely's per-row cost shows. */
  readonly sqlite?: SQLite.Database;
}

/** The default: an SQLite file in the CA folder. */
export const DEFAULT_DATABASE_URL = "sqlite:ca.sqlite";

/**
 * Opens `sqlite:PATH` (relative to `baseDir`) or `postgres://…` (`?schema=NAME` keeps one CA in
 * its own schema) and applies pending migrations.
 */
export function openDatabase(url: string, baseDir: string): Promise<OpenedDatabase> {
  return openMigratedDatabase<Database>(url, baseDir, migrations);
}

/**
 * The same opener for another component's own tables (the portal's): its own migrations, recorded
 * in its own migration table so two components can share one database or schema.
 */
export async function openMigratedDatabase<DB>(
  url: string,
  baseDir: string,
  provider: (engine: Engine) => MigrationProvider,
  migrationTableName?: string,
): Promise<OpenedDatabase<DB>> {
  const opened = url.startsWith("postgres://") || url.startsWith("postgresql://") ? await openPostgres<DB>(url) : openSqlite<DB>(url, baseDir);
  // Kysely looks for its migration tables in every schema unless told which one is ours.
  const migrator = new Migrator({
    db: opened.db,
    provider: provider(opened.engine),
    ...(opened.schema ? { migrationTableSchema: opened.schema } : {}),
    ...(migrationTableName ? { migrationTableName, migrationLockTableName: `${migrationTableName}_lock` } : {}),
  });
  const { error } = opened.sqlite
    ? await migrateInOneWriteTransaction(opened.sqlite, () => migrator.migrateToLatest())
    : await migrator.migrateToLatest();
  if (error) {
    await opened.db.destroy();
    throw error;
  }
  return opened;
}

/** How long a query waits for another process's write to finish before it fails with SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** How long a process waits for another one's migrations (an index over millions of rows takes a while). */
const SQLITE_MIGRATION_WAIT_MS = 10 * 60_000;

/**
 * Kysely takes no lock for SQLite's migrations (it assumes one process), so two processes opening
 * one file at once — `serve --workers`' workers — would both apply the same migration. Run inside
 * one write transaction, the second waits for the first and then finds nothing to do; and an
 * upgrade that fails half-way leaves the database as it was.
 */
async function migrateInOneWriteTransaction<T extends { error?: unknown }>(database: SQLite.Database, migrate: () => Promise<T>): Promise<T> {
  database.pragma(`busy_timeout = ${SQLITE_MIGRATION_WAIT_MS}`);
  database.exec("begin immediate");
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  let result: T | undefined;
  try {
    result = await migrate();
    return result;
  } finally {
    // SQLite ends the transaction itself on some errors (a full disk); then there is nothing to undo.
    if (database.inTransaction) database.exec(result && !result.error ? "commit" : "rollback");
  }
}

function openSqlite<DB>(url: string, baseDir: string): OpenedDatabase<DB> {
  if (!url.startsWith("sqlite:")) throw new InputError("bad_db_url", `database URL must start with sqlite: or postgres://, got ${url}`);
  const path = url.slice("sqlite:".length);
  const database = new SQLite(isAbsolute(path) ? path : resolve(baseDir, path));
  // First: switching a new database to WAL takes a lock another process opening it may hold.
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  return { db: new Kysely<DB>({ dialect: new ImmediateSqliteDialect({ database }) }), engine: "sqlite", sqlite: database };
}

/**
 * Kysely's SQLite transactions, begun IMMEDIATE: each takes the write lock before its first read.
 * A deferred one that reads (the audit head, a certificate's state), then writes after another
 * process — a `serve --workers` worker — committed in between fails at once (SQLITE_BUSY_SNAPSHOT,
 * the busy timeout does not help); an immediate one waits its turn.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

async function openPostgres<DB>(url: string): Promise<OpenedDatabase<DB>> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new InputError("bad_db_url", `schema name ${schema} must be lower-case letters, digits and _`);
  }
  const connectionString = parsed.toString();
  if (schema) {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      await client.query(`create schema if not exists ${schema}`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({ connectionString, max: 8, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  // An idle connection the server closed (a failover, a restart) is dropped by the pool, which then
  // emits this; unheard, it would end the process. The next query opens a new connection.
  pool.on("error", (error) => process.emitWarning(`an idle PostgreSQL connection failed and was dropped: ${error.message}`));
  return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), engine: "postgres", ...(schema ? { schema } : {}) };
}
