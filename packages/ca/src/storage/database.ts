import { isAbsolute, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { InputError } from "@qoltanba/pki";
import { migrations } from "./migrations.ts";
import type { Database } from "./schema.ts";

export type Engine = "sqlite" | "postgres";

export interface OpenedDatabase {
  readonly db: Kysely<Database>;
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
export async function openDatabase(url: string, baseDir: string): Promise<OpenedDatabase> {
  const opened = url.startsWith("postgres://") || url.startsWith("postgresql://") ? await openPostgres(url) : openSqlite(url, baseDir);
  // Kysely looks for its migration tables in every schema unless told which one is ours.
  const { error } = await new Migrator({
    db: opened.db,
    provider: migrations(opened.engine),
    ...(opened.schema ? { migrationTableSchema: opened.schema } : {}),
  }).migrateToLatest();
  if (error) {
    await opened.db.destroy();
    throw error;
  }
  return opened;
}

function openSqlite(url: string, baseDir: string): OpenedDatabase {
  if (!url.startsWith("sqlite:")) throw new InputError("bad_db_url", `database URL must start with sqlite: or postgres://, got ${url}`);
  const path = url.slice("sqlite:".length);
  const database = new SQLite(isAbsolute(path) ? path : resolve(baseDir, path));
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("busy_timeout = 5000");
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), engine: "sqlite", sqlite: database };
}

async function openPostgres(url: string): Promise<OpenedDatabase> {
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
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), engine: "postgres", ...(schema ? { schema } : {}) };
}
