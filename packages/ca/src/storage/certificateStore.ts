import { sql, type CompiledQuery, type Kysely, type Transaction } from "kysely";
import { InputError, type RevocationReason } from "@qoltanba/pki";
import { chainAuditEvents, GENESIS_HASH, type AuditEntry, type AuditEvent } from "../audit.ts";
import type { OpenedDatabase } from "./database.ts";
import type { CrlsTable, Database } from "./schema.ts";
import { SqliteIssuance } from "./sqliteIssuance.ts";

export interface IssuedCertificate {
  readonly serial: string;
  readonly profile: string;
  readonly owner: string;
  readonly spkiSha256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly issuedAt: Date;
  readonly der: Buffer;
}

export interface StoredCertificate extends IssuedCertificate {
  readonly revokedAt?: Date;
  readonly revocationReason?: string;
  readonly invalidityDate?: Date;
}

/** The batch could not be recorded because one of its keys belongs to another owner. */
export class KeyOwnerConflict extends InputError {
  constructor(readonly spkiSha256: string) {
    super("key_already_certified", "this public key is already certified for someone else: generate a new key pair");
  }
}

const MAX_ROWS_PER_INSERT = 400;

/** The audit entry of one issued certificate: serial and profile, never the owner. */
export const issueAuditEvent = (certificate: IssuedCertificate): AuditEvent => ({
  action: "issue",
  details: { key: "issuing", serial: certificate.serial, profile: certificate.profile },
});

/** A certificate's revocation state as stored: never revoked, revoked (possibly on hold), or released from hold. */
export interface RevocationState {
  readonly revokedAt?: Date;
  readonly reason?: RevocationReason;
}

export interface RevocationChange {
  readonly reason: RevocationReason;
  readonly revokedAt: Date;
  readonly invalidityDate?: Date;
}

export interface RevokedCertificate extends RevocationChange {
  readonly serial: string;
}

export interface CrlRecord {
  readonly number: number;
  readonly kind: "full" | "delta";
  readonly baseNumber?: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly revocationMark: number;
  readonly entryCount: number;
  readonly byteLength: number;
  readonly sha256: string;
}

function crlRecordOf(row: CrlsTable): CrlRecord {
  return {
    number: Number(row.number),
    kind: row.kind,
    ...(row.base_number === null ? {} : { baseNumber: Number(row.base_number) }),
    thisUpdate: new Date(row.this_update),
    nextUpdate: new Date(row.next_update),
    revocationMark: Number(row.revocation_mark),
    entryCount: Number(row.entry_count),
    byteLength: Number(row.byte_length),
    sha256: row.sha256,
  };
}

/** A revoked certificate as selected for a CRL: serial, revoked_at, revocation_reason, invalidity_date. */
type RevokedRow = [string, string, string, string | null];

function revokedCertificateOf([serial, revokedAt, reason, invalidityDate]: RevokedRow): RevokedCertificate {
  const revoked = { serial, revokedAt: new Date(revokedAt), reason: reason as RevocationReason };
  return invalidityDate ? { ...revoked, invalidityDate: new Date(invalidityDate) } : revoked;
}

function stateOf(row: { revoked_at: string | null; revocation_reason: string | null }): RevocationState {
  return {
    ...(row.revoked_at ? { revokedAt: new Date(row.revoked_at) } : {}),
    ...(row.revocation_reason ? { reason: row.revocation_reason as RevocationReason } : {}),
  };
}

/**
 * The only code that reads and writes the CA's tables (Boulder's "storage authority"). Every
 * write that uses a CA key appends to the hash-chained audit log in the same transaction.
 */
export class CertificateStore {
  readonly db: Kysely<Database>;
  readonly engine: OpenedDatabase["engine"];
  /** The SQLite handle under Kysely, for hot paths; use it inside `db.connection()` so no Kysely transaction is open. */
  readonly sqlite: OpenedDatabase["sqlite"];
  private readonly sqliteIssuance: SqliteIssuance | undefined;

  constructor(opened: OpenedDatabase) {
    this.db = opened.db;
    this.engine = opened.engine;
    this.sqlite = opened.sqlite;
    this.sqliteIssuance = opened.sqlite && new SqliteIssuance(opened.sqlite);
  }

  async keyOwner(spkiSha256: string): Promise<string | undefined> {
    return (await this.keyOwners([spkiSha256])).get(spkiSha256);
  }

  /** The owner of each of these keys that is already certified (SHA-256 of the SPKI, hex), in one query. */
  async keyOwners(spkiSha256s: readonly string[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    if (spkiSha256s.length === 0) return owners;
    const sqlite = this.sqliteIssuance;
    if (sqlite) return this.db.connection().execute(async () => sqlite.owners(spkiSha256s));
    for (let start = 0; start < spkiSha256s.length; start += MAX_ROWS_PER_INSERT) {
      const rows = await this.db
        .selectFrom("public_keys")
        .select(["spki_sha256", "owner"])
        .where("spki_sha256", "in", spkiSha256s.slice(start, start + MAX_ROWS_PER_INSERT))
        .execute();
      for (const row of rows) owners.set(row.spki_sha256, row.owner);
    }
    return owners;
  }

  /** The serial of the first certificate that certified this key (SHA-256 of its SubjectPublicKeyInfo, hex). */
  async firstCertificateOfKey(spkiSha256: string): Promise<string | undefined> {
    const row = await this.db.selectFrom("public_keys").select("first_serial").where("spki_sha256", "=", spkiSha256).executeTakeFirst();
    return row?.first_serial;
  }

  /**
   * Records issued certificates and their audit entries in one transaction. Nothing is recorded
   * when any key belongs to another owner or any serial is taken (the whole batch rolls back).
   */
  async recordIssued(certificates: readonly IssuedCertificate[]): Promise<void> {
    const sqlite = this.sqliteIssuance;
    if (sqlite) {
      await this.db.connection().execute(async () => sqlite.recordIssued(certificates));
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < certificates.length; start += MAX_ROWS_PER_INSERT) {
        const chunk = certificates.slice(start, start + MAX_ROWS_PER_INSERT);
        await trx
          .insertInto("certificates")
          .values(
            chunk.map((certificate) => ({
              serial: certificate.serial,
              profile: certificate.profile,
              owner: certificate.owner,
              spki_sha256: certificate.spkiSha256,
              not_before: certificate.notBefore.toISOString(),
              not_after: certificate.notAfter.toISOString(),
              issued_at: certificate.issuedAt.toISOString(),
              der: certificate.der,
              revoked_at: null,
              revocation_reason: null,
              invalidity_date: null,
              revocation_seq: null,
            })),
          )
          .execute();
        await trx
          .insertInto("public_keys")
          .values(chunk.map((c) => ({ spki_sha256: c.spkiSha256, owner: c.owner, first_serial: c.serial })))
          .onConflict((conflict) => conflict.column("spki_sha256").doNothing())
          .execute();
        const owners = await trx
          .selectFrom("public_keys")
          .select(["spki_sha256", "owner"])
          .where("spki_sha256", "in", [...new Set(chunk.map((c) => c.spkiSha256))])
          .execute();
        const ownerOf = new Map(owners.map((row) => [row.spki_sha256, row.owner]));
        const conflict = chunk.find((certificate) => ownerOf.get(certificate.spkiSha256) !== certificate.owner);
        if (conflict) throw new KeyOwnerConflict(conflict.spkiSha256);
      }
      await this.appendAuditIn(
        trx,
        certificates.map(issueAuditEvent),
      );
    });
  }

  async appendAudit(events: readonly AuditEvent[]): Promise<void> {
    await this.db.transaction().execute((trx) => this.appendAuditIn(trx, events));
  }

  /**
   * Changes a certificate's revocation state in one transaction: reads the current state (locked
   * on PostgreSQL), lets `decide` accept or refuse (by throwing) the change, writes it and its
   * audit entry. Returns the audit sequence number of the change.
   */
  async changeRevocation(
    serial: string,
    decide: (current: RevocationState) => RevocationChange,
  ): Promise<{ seq: number; change: RevocationChange }> {
    return this.db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom("certificates")
        .select(["revoked_at", "revocation_reason", "invalidity_date"])
        .where("serial", "=", serial);
      if (this.engine === "postgres") query = query.forUpdate();
      const row = await query.executeTakeFirst();
      if (!row) throw new InputError("unknown_serial", `no certificate with serial ${serial} was issued by this CA`);
      const change = decide(stateOf(row));
      const [entry] = await this.appendAuditIn(trx, [
        { action: "revoke", details: { key: "issuing", serial, reason: change.reason, at: change.revokedAt.toISOString() } },
      ]);
      await trx
        .updateTable("certificates")
        .set({
          revoked_at: change.revokedAt.toISOString(),
          revocation_reason: change.reason,
          invalidity_date: change.invalidityDate?.toISOString() ?? null,
          revocation_seq: entry!.seq,
        })
        .where("serial", "=", serial)
        .execute();
      return { seq: entry!.seq, change };
    });
  }

  /** Revocation state of many serials at once (OCSP asks for several in one request). */
  async revocationStates(serials: readonly string[]): Promise<Map<string, RevocationState>> {
    const states = new Map<string, RevocationState>();
    if (serials.length === 0) return states;
    const rows = await this.db
      .selectFrom("certificates")
      .select(["serial", "revoked_at", "revocation_reason", "invalidity_date"])
      .where("serial", "in", [...serials])
      .execute();
    for (const row of rows) states.set(row.serial, stateOf(row));
    return states;
  }

  /**
   * Revoked certificates in serial order, a page at a time (keyset pagination) so memory stays flat
   * for a CRL of millions. With `changedAfterSeq`, only changes after that audit sequence (delta CRL),
   * including hold releases (removeFromCRL); without it, only certificates revoked now (full CRL).
   * `upToSeq` pins the result to one moment, so two reads agree. Pages are small enough that their
   * rows die young: at 20,000 a page outlived the garbage collector's young generation, and the old
   * one grew by 100 MB over a CRL of a million entries.
   */
  async *revokedCertificatePages(
    options: { changedAfterSeq?: number; upToSeq?: number; pageSize?: number } = {},
  ): AsyncIterable<RevokedCertificate[]> {
    const pageSize = options.pageSize ?? 5000;
    const page = (after: string) => {
      const query = this.revokedSelection(options)
        .select(["serial", "revoked_at", "revocation_reason", "invalidity_date"])
        .where("serial", ">", after)
        .orderBy("serial")
        .limit(pageSize);
      const read = this.sqlite
        ? this.sqliteRows(query.compile()).then((rows) => rows.map(revokedCertificateOf))
        : query.execute().then((rows) => rows.map((row) => revokedCertificateOf([row.serial, row.revoked_at!, row.revocation_reason!, row.invalidity_date])));
      read.catch(() => undefined); // heard where it is awaited; unheard when the reader stopped early
      return read;
    };
    for (let next = page(""); ; ) {
      const rows = await next;
      // The next page is asked for now: PostgreSQL reads it while this one is being used.
      if (rows.length === pageSize) next = page(rows[rows.length - 1]!.serial);
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
    }
  }

  /** Rows as arrays, straight from better-sqlite3: Kysely's per-row promise chain, and even named columns, cost more than the read. */
  private async sqliteRows(query: CompiledQuery): Promise<RevokedRow[]> {
    await new Promise((resolve) => setImmediate(resolve)); // one page per event-loop turn: other work goes on
    return this.sqlite!.prepare(query.sql).raw(true).all(...query.parameters) as RevokedRow[];
  }

  /** The revoked certificates a full CRL (or a delta, with changedAfterSeq) lists. */
  private revokedSelection(options: { changedAfterSeq?: number; upToSeq?: number }) {
    let query = this.db.selectFrom("certificates").where("revoked_at", "is not", null);
    query =
      options.changedAfterSeq === undefined
        ? query.where("revocation_reason", "!=", "removeFromCRL")
        : query.where("revocation_seq", ">", options.changedAfterSeq);
    if (options.upToSeq !== undefined) query = query.where("revocation_seq", "<=", options.upToSeq);
    return query;
  }

  /** Certificates whose revocation state changed after an audit sequence, oldest change first. */
  async revocationChangesSince(seq: number, limit = 10_000): Promise<Array<{ serial: string; seq: number }>> {
    const rows = await this.db
      .selectFrom("certificates")
      .select(["serial", "revocation_seq"])
      .where("revocation_seq", ">", seq)
      .orderBy("revocation_seq")
      .limit(limit)
      .execute();
    return rows.map((row) => ({ serial: row.serial, seq: Number(row.revocation_seq) }));
  }

  /** The newest CRL of a kind, if any was made. */
  async latestCrl(kind: CrlRecord["kind"]): Promise<CrlRecord | undefined> {
    const row = await this.db.selectFrom("crls").selectAll().where("kind", "=", kind).orderBy("number", "desc").limit(1).executeTakeFirst();
    return row && crlRecordOf(row);
  }

  async nextCrlNumber(): Promise<number> {
    const row = await this.db.selectFrom("crls").select((eb) => eb.fn.max("number").as("last")).executeTakeFirst();
    return Number(row?.last ?? 0) + 1;
  }

  /** The audit sequence reached so far: a CRL made now is complete up to it. */
  async currentRevocationMark(): Promise<number> {
    return (await this.auditHead())?.seq ?? 0;
  }

  /**
   * Records a signed CRL, its bytes (in parts) and its audit entry in one transaction: the CRL is
   * recorded whole or not at all. A clash on the number means another process made it first.
   * Only the newest two CRLs of a kind keep their bytes (the previous one for nodes still sending
   * it); older ones stay listed with their digest here and in the audit log.
   */
  async recordCrl(record: CrlRecord, parts: AsyncIterable<Buffer>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const previous = trx.selectFrom("crls").select("number").where("kind", "=", record.kind).orderBy("number", "desc").limit(1);
      await trx
        .deleteFrom("crl_parts")
        .where("number", "in", trx.selectFrom("crls").select("number").where("kind", "=", record.kind).where("number", "<", previous))
        .execute();
      let part = 0;
      for await (const bytes of parts) await trx.insertInto("crl_parts").values({ number: record.number, part: part++, bytes }).execute();
      await trx
        .insertInto("crls")
        .values({
          number: record.number,
          kind: record.kind,
          base_number: record.baseNumber ?? null,
          this_update: record.thisUpdate.toISOString(),
          next_update: record.nextUpdate.toISOString(),
          revocation_mark: record.revocationMark,
          entry_count: record.entryCount,
          byte_length: record.byteLength,
          sha256: record.sha256,
        })
        .execute();
      await this.appendAuditIn(trx, [
        { action: "crl", details: { key: "issuing", kind: record.kind, number: record.number, entries: record.entryCount, sha256: record.sha256 } },
      ]);
    });
  }

  /** A recorded CRL's DER, a part at a time (nothing for a CRL recorded before its bytes were kept). */
  async *crlBytes(number: number): AsyncIterable<Buffer> {
    for (let part = 0; ; part++) {
      const row = await this.db.selectFrom("crl_parts").select("bytes").where("number", "=", number).where("part", "=", part).executeTakeFirst();
      if (!row) return;
      yield Buffer.from(row.bytes);
    }
  }

  /** The audit sequence of the latest revocation change: a delta CRL complete up to it lists every change. */
  async lastRevocationSeq(): Promise<number> {
    const row = await this.db.selectFrom("certificates").select((eb) => eb.fn.max("revocation_seq").as("last")).executeTakeFirst();
    return Number(row?.last ?? 0);
  }

  /**
   * Runs `work` holding the CA's CRL signing lock. On PostgreSQL it is a session advisory lock
   * keyed by the schema: of several nodes one signs at a time, each reads the next number inside
   * it, so numbers follow without gaps or duplicates; a node that dies holding it loses its
   * connection and with it the lock. SQLite is one machine's file: there the caller's queue and the
   * number's primary key are enough.
   */
  async withCrlSigningLock<T>(work: () => Promise<T>): Promise<T> {
    if (this.engine !== "postgres") return work();
    const key = sql`hashtext(current_schema() || '.qoltanba.crl-signing')`;
    return this.db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(${key})`.execute(connection);
      try {
        return await work();
      } finally {
        await sql`select pg_advisory_unlock(${key})`.execute(connection);
      }
    });
  }

  /** Appends to the audit chain inside the caller's transaction; the head row serializes writers. */
  async appendAuditIn(trx: Transaction<Database>, events: readonly AuditEvent[]): Promise<AuditEntry[]> {
    if (events.length === 0) return [];
    let headQuery = trx.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", 1);
    if (this.engine === "postgres") headQuery = headQuery.forUpdate();
    const head = (await headQuery.executeTakeFirst()) ?? { seq: 0, hash: GENESIS_HASH };
    const entries = chainAuditEvents(head, events, new Date());
    for (let start = 0; start < entries.length; start += MAX_ROWS_PER_INSERT) {
      await trx
        .insertInto("audit_log")
        .values(
          entries.slice(start, start + MAX_ROWS_PER_INSERT).map((entry) => ({
            seq: entry.seq,
            at: entry.at,
            action: entry.action,
            details: entry.details,
            prev_hash: entry.prevHash,
            hash: entry.hash,
          })),
        )
        .execute();
    }
    const last = entries[entries.length - 1]!;
    await trx
      .insertInto("audit_head")
      .values({ id: 1, seq: last.seq, hash: last.hash })
      .onConflict((conflict) => conflict.column("id").doUpdateSet({ seq: last.seq, hash: last.hash }))
      .execute();
    return entries;
  }

  async certificate(serial: string): Promise<StoredCertificate | undefined> {
    const row = await this.db.selectFrom("certificates").selectAll().where("serial", "=", serial).executeTakeFirst();
    if (!row) return undefined;
    return {
      serial: row.serial,
      profile: row.profile,
      owner: row.owner,
      spkiSha256: row.spki_sha256,
      notBefore: new Date(row.not_before),
      notAfter: new Date(row.not_after),
      issuedAt: new Date(row.issued_at),
      der: Buffer.from(row.der),
      ...(row.revoked_at ? { revokedAt: new Date(row.revoked_at) } : {}),
      ...(row.revocation_reason ? { revocationReason: row.revocation_reason } : {}),
      ...(row.invalidity_date ? { invalidityDate: new Date(row.invalidity_date) } : {}),
    };
  }

  async countCertificates(): Promise<number> {
    const row = await this.db.selectFrom("certificates").select((eb) => eb.fn.countAll().as("count")).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async auditHead(): Promise<{ seq: number; hash: string } | undefined> {
    return this.db.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", 1).executeTakeFirst();
  }

  /** The audit log in order, read in pages so memory stays flat however long the log is. */
  async *auditEntries(pageSize = 1000): AsyncIterable<AuditEntry> {
    for (let after = -1; ; ) {
      const page = await this.db.selectFrom("audit_log").selectAll().where("seq", ">", after).orderBy("seq").limit(pageSize).execute();
      for (const row of page) {
        yield { seq: Number(row.seq), at: row.at, action: row.action, details: row.details, prevHash: row.prev_hash, hash: row.hash };
      }
      if (page.length < pageSize) return;
      after = Number(page[page.length - 1]!.seq);
    }
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}
