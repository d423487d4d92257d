import { sql, type Kysely, type Migration } from "kysely";
import type { Engine } from "../database.ts";

/**
 * The signed bytes of every CRL, in parts of at most 1 MiB (a CRL of millions of entries is read
 * and written without holding it in memory), so every node serves the CRL whichever node signed it.
 */
export function crlParts(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("crl_parts")
        .addColumn("number", "integer", (column) => column.notNull())
        .addColumn("part", "integer", (column) => column.notNull())
        .addColumn("bytes", sql.raw(engine === "postgres" ? "bytea" : "blob"), (column) => column.notNull())
        .addPrimaryKeyConstraint("crl_parts_pk", ["number", "part"])
        .execute();
    },
  };
}
