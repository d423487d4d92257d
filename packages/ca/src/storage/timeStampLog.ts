import { createHash } from "node:crypto";
import type { AuditProblem } from "../audit.ts";
import type { CertificateStore } from "./certificateStore.ts";
import type { TsaTokensTable } from "./schema.ts";

/** What the CA keeps of one time-stamp token: enough to say whether it issued a given token. */
export interface TimeStampRecord {
  /** Lowercase hex of the serial number's magnitude. */
  readonly serial: string;
  readonly genTime: Date;
  readonly policy: string;
  readonly hashAlgorithm: string;
  readonly messageImprint: Buffer;
}

export interface TimeStampLogCheck {
  readonly summarised: number;
  /** Tokens recorded since the last summary (normal while a server runs). */
  readonly unsummarised: number;
  readonly problems: AuditProblem[];
}

const ROWS_PER_STATEMENT = 400;
type TokenRow = Omit<TsaTokensTable, "audit_seq">;

/**
 * The time-stamp tokens table and its audit summaries. Each token is a row, written before the
 * token is sent; the audit log gets one "timestamps" entry per summary (count, time range and a
 * SHA-256 over the rows it covers), not one per token, so the hash chain stays small and its
 * head is not a lock every time-stamp waits for, yet no row can be changed, added or removed
 * unseen once summarised.
 */
export class TimeStampLog {
  private insertRows: ((records: readonly TimeStampRecord[]) => void) | undefined;

  constructor(private readonly store: CertificateStore) {}

  /** Records tokens in one transaction; a serial already used fails the whole batch. */
  async record(records: readonly TimeStampRecord[]): Promise<void> {
    const { db, sqlite } = this.store;
    if (sqlite) {
      // Kysely builds and prepares each query anew, which costs more than the insert itself; holding
      // its connection keeps these statements out of any Kysely transaction.
      if (!this.insertRows) {
        const insert = sqlite.prepare(
          "insert into tsa_tokens (serial, gen_time, policy, hash_algorithm, message_imprint)" +
            " values (@serial, @gen_time, @policy, @hash_algorithm, @message_imprint)",
        );
        this.insertRows = sqlite.transaction((rows: readonly TimeStampRecord[]) => {
          for (const row of rows) insert.run(tokenRow(row));
        });
      }
      const insertRows = this.insertRows;
      await db.connection().execute(async () => insertRows(records));
      return;
    }
    await db.transaction().execute(async (trx) => {
      for (let start = 0; start < records.length; start += ROWS_PER_STATEMENT) {
        await trx
          .insertInto("tsa_tokens")
          .values(records.slice(start, start + ROWS_PER_STATEMENT).map(tokenRow))
          .execute();
      }
    });
  }

  /** Writes one audit entry over up to `limit` tokens not yet summarised; returns how many it covered. */
  async summarise(limit = 50_000): Promise<number> {
    const { store } = this;
    return store.db.transaction().execute(async (trx) => {
      // Taking the audit head first makes concurrent summarisers (other nodes) wait, then see our rows as summarised.
      let head = trx.selectFrom("audit_head").select("seq").where("id", "=", 1);
      if (store.engine === "postgres") head = head.forUpdate();
      await head.execute();
      const rows = await trx
        .selectFrom("tsa_tokens")
        .select(["serial", "gen_time", "policy", "hash_algorithm", "message_imprint"])
        .where("audit_seq", "is", null)
        .limit(limit)
        .execute();
      if (rows.length === 0) return 0;
      const times = rows.map((row) => row.gen_time).sort();
      const [entry] = await store.appendAuditIn(trx, [
        {
          action: "timestamps",
          details: {
            key: "tsa",
            count: rows.length,
            from: times[0]!,
            to: times[times.length - 1]!,
            recordsSha256: recordsDigest(rows),
          },
        },
      ]);
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        const serials = rows.slice(start, start + ROWS_PER_STATEMENT).map((row) => row.serial);
        await trx
          .updateTable("tsa_tokens")
          .set({ audit_seq: entry!.seq })
          .where("serial", "in", serials)
          .execute();
      }
      return rows.length;
    });
  }

  /** Checks every "timestamps" audit entry against the rows it summarises, and every summarised row against an entry. */
  async check(): Promise<TimeStampLogCheck> {
    const { db } = this.store;
    const problems: AuditProblem[] = [];
    let summarised = 0;
    for (let after = -1; ;) {
      const entries = await db
        .selectFrom("audit_log")
        .select(["seq", "details"])
        .where("action", "=", "timestamps")
        .where("seq", ">", after)
        .orderBy("seq")
        .limit(1000)
        .execute();
      for (const entry of entries) {
        const seq = Number(entry.seq);
        const details = JSON.parse(entry.details) as { count: number; recordsSha256: string };
        const rows = await db
          .selectFrom("tsa_tokens")
          .select(["serial", "gen_time", "policy", "hash_algorithm", "message_imprint"])
          .where("audit_seq", "=", seq)
          .execute();
        summarised += rows.length;
        if (rows.length !== details.count) {
          problems.push({
            seq,
            problem: `summarises ${details.count} time-stamp tokens, the table holds ${rows.length}`,
          });
        } else if (recordsDigest(rows) !== details.recordsSha256) {
          problems.push({ seq, problem: "time-stamp token records were changed after they were summarised" });
        }
      }
      if (entries.length < 1000) break;
      after = Number(entries[entries.length - 1]!.seq);
    }
    const orphans = await db
      .selectFrom("tsa_tokens")
      .select((eb) => eb.fn.countAll().as("count"))
      .where("audit_seq", "is not", null)
      .where(
        "audit_seq",
        "not in",
        db.selectFrom("audit_log").select("seq").where("action", "=", "timestamps"),
      )
      .executeTakeFirstOrThrow();
    if (Number(orphans.count) > 0) {
      problems.push({
        seq: 0,
        problem: `${orphans.count} time-stamp token record(s) point at no time-stamp summary`,
      });
    }
    const pending = await db
      .selectFrom("tsa_tokens")
      .select((eb) => eb.fn.countAll().as("count"))
      .where("audit_seq", "is", null)
      .executeTakeFirstOrThrow();
    return { summarised, unsummarised: Number(pending.count), problems };
  }
}

const tokenRow = (record: TimeStampRecord): TokenRow => ({
  serial: record.serial,
  gen_time: record.genTime.toISOString(),
  policy: record.policy,
  hash_algorithm: record.hashAlgorithm,
  message_imprint: record.messageImprint.toString("hex"),
});

/** SHA-256 over the rows in serial order, one line each: the same on both engines whatever order they return. */
function recordsDigest(rows: readonly TokenRow[]): string {
  const hash = createHash("sha256");
  for (const row of [...rows].sort((a, b) => (a.serial < b.serial ? -1 : 1))) {
    hash.update(`${row.serial} ${row.gen_time} ${row.policy} ${row.hash_algorithm} ${row.message_imprint}\n`);
  }
  return hash.digest("hex");
}
