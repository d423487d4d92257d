import { sql, type Kysely } from "kysely";
import { auditEntryHash, GENESIS_HASH, type Engine } from "@qoltanba/ca";
import type { PortalDatabase } from "./schema.ts";

/** What an entry of the console log says besides its action: ids, serials, hashes; never names or IINs. */
export type AuditDetails = Record<string, string | number>;

/** Whoever writes into the console log within their own transaction (the console's store does). */
export interface ConsoleAuditAppender {
  appendAuditIn(
    trx: Kysely<PortalDatabase>,
    action: string,
    details: AuditDetails,
    now: Date,
  ): Promise<number>;
}

/**
 * Appends an entry after the last one of the console log, in the caller's transaction, and returns
 * its sequence number; on PostgreSQL an advisory lock serialises appenders of every process.
 */
export async function appendConsoleAudit(
  trx: Kysely<PortalDatabase>,
  engine: Engine,
  action: string,
  details: AuditDetails,
  now: Date,
): Promise<number> {
  if (engine === "postgres") await sql`select pg_advisory_xact_lock(7240116)`.execute(trx);
  const last = await trx
    .selectFrom("console_audit")
    .select(["seq", "hash"])
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  const unhashed = {
    seq: last ? Number(last.seq) + 1 : 1,
    at: now.toISOString(),
    action,
    details: JSON.stringify(details),
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  await trx
    .insertInto("console_audit")
    .values({
      seq: unhashed.seq,
      at: unhashed.at,
      action,
      details: unhashed.details,
      prev_hash: unhashed.prevHash,
      hash: auditEntryHash(unhashed),
    })
    .execute();
  return unhashed.seq;
}
