import type { Migration, MigrationProvider } from "kysely";
import type { Engine } from "@qoltanba/ca";
import { portalTables } from "./migrations/0001_portal.ts";
import { issuanceClaim } from "./migrations/0002_issuance_claim.ts";
import { portalSecrets } from "./migrations/0003_portalSecrets.ts";
import { consoleTables } from "./migrations/0004_console.ts";
import { cabinetTables } from "./migrations/0005_cabinet.ts";
import { queueSurnameScoped } from "./migrations/0006_queue_surname_scoped.ts";
import { sessionsAndSignedActions } from "./migrations/0007_sessions_and_signed_actions.ts";

/** The portal's versioned migrations, recorded in their own table (portal_migration). Append only. */
export function portalMigrations(engine: Engine): MigrationProvider {
  const all: Record<string, Migration> = {
    "0001_portal": portalTables(engine),
    "0002_issuance_claim": issuanceClaim,
    "0003_portal_secrets": portalSecrets,
    "0004_console": consoleTables(engine),
    "0005_cabinet": cabinetTables(engine),
    "0006_queue_surname_scoped": queueSurnameScoped,
    "0007_sessions_and_signed_actions": sessionsAndSignedActions(engine),
  };
  return { getMigrations: async () => all };
}

export const PORTAL_MIGRATION_TABLE = "portal_migration";
