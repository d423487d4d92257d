import type { Migration, MigrationProvider } from "kysely";
import type { Engine } from "./database.ts";
import { certificatesAndAudit } from "./migrations/0001_certificatesAndAudit.ts";
import { revocationSeq } from "./migrations/0002_revocationSeq.ts";
import { crls } from "./migrations/0003_crls.ts";
import { tsaTokens } from "./migrations/0004_tsaTokens.ts";
import { crlParts } from "./migrations/0005_crlParts.ts";
import { revokedBySerial } from "./migrations/0006_revokedBySerial.ts";
import { crlPartsLz4 } from "./migrations/0007_crlPartsLz4.ts";

/** Versioned migrations, applied in name order and recorded by Kysely's migrator. Append only. */
export function migrations(engine: Engine): MigrationProvider {
  const all: Record<string, Migration> = {
    "0001_certificates_and_audit": certificatesAndAudit(engine),
    "0002_revocation_seq": revocationSeq,
    "0003_crls": crls,
    "0004_tsa_tokens": tsaTokens,
    "0005_crl_parts": crlParts(engine),
    "0006_revoked_by_serial": revokedBySerial,
    "0007_crl_parts_lz4": crlPartsLz4(engine),
  };
  return { getMigrations: async () => all };
}
