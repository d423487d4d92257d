import type { Migration, MigrationProvider } from "kysely";
import type { Engine } from "@qoltanba/ca";
import { portalTables } from "./migrations/0001_portal.ts";
import { consoleTables } from "./migrations/0002_console.ts";

/** The portal's versioned migrations, recorded in their own table (portal_migration). Append only. */
export function portalMigrations(engine: Engine): MigrationProvider {
  const all: Record<string, Migration> = {
    "0001_portal": portalTables(engine),
    "0002_console": consoleTables(engine),
  };
  return { getMigrations: async () => all };
}

export const PORTAL_MIGRATION_TABLE = "portal_migration";
