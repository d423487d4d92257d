import { sql, type Kysely, type Migration } from "kysely";
import type { Engine } from "../database.ts";

/**
 * PostgreSQL compresses a CRL's parts as it stores them (a CRL halves), by default with pglz, which
 * took 1–3 s of a full CRL of a million entries; lz4 takes a fraction of that for nearly the same
 * size. Only where the server was built with lz4 (PostgreSQL 14 or later): elsewhere pglz stays.
 */
export function crlPartsLz4(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (engine !== "postgres") return;
      const { rows } = await sql<{ lz4: boolean }>`select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(db);
      if (rows[0]?.lz4) await sql`alter table crl_parts alter column bytes set compression lz4`.execute(db);
    },
  };
}
