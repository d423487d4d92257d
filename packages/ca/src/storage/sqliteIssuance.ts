import type SQLite from "better-sqlite3";
import { chainAuditEvents, GENESIS_HASH } from "../audit.ts";
import { issueAuditEvent, KeyOwnerConflict, type IssuedCertificate } from "./certificateStore.ts";

/**
 * The issuance hot path on SQLite as statements prepared once: Kysely builds, compiles and
 * prepares every query anew, which costs more per certificate than the inserts themselves.
 * Callers run these while holding Kysely's connection, so no Kysely transaction is open beside them.
 */
export class SqliteIssuance {
  private readonly ownersOf: SQLite.Statement<[string], { spki_sha256: string; owner: string }>;
  /** The batch in one IMMEDIATE transaction; a key of another owner or a taken serial rolls all of it back. */
  readonly recordIssued: (certificates: readonly IssuedCertificate[]) => void;

  constructor(sqlite: SQLite.Database) {
    // json_each takes the whole list as one parameter: one statement for any number of keys.
    this.ownersOf = sqlite.prepare("select spki_sha256, owner from public_keys where spki_sha256 in (select value from json_each(?))");
    const insertCertificate = sqlite.prepare(
      "insert into certificates (serial, profile, owner, spki_sha256, not_before, not_after, issued_at, der) values (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const insertKey = sqlite.prepare("insert into public_keys (spki_sha256, owner, first_serial) values (?, ?, ?) on conflict (spki_sha256) do nothing");
    const auditHead = sqlite.prepare<[], { seq: number; hash: string }>("select seq, hash from audit_head where id = 1");
    const insertAudit = sqlite.prepare("insert into audit_log (seq, at, action, details, prev_hash, hash) values (?, ?, ?, ?, ?, ?)");
    const setHead = sqlite.prepare("insert into audit_head (id, seq, hash) values (1, ?, ?) on conflict (id) do update set seq = excluded.seq, hash = excluded.hash");
    const transaction = sqlite.transaction((certificates: readonly IssuedCertificate[]) => {
      for (const c of certificates) {
        insertCertificate.run(c.serial, c.profile, c.owner, c.spkiSha256, c.notBefore.toISOString(), c.notAfter.toISOString(), c.issuedAt.toISOString(), c.der);
        insertKey.run(c.spkiSha256, c.owner, c.serial);
      }
      const owners = this.owners(certificates.map((c) => c.spkiSha256));
      const stranger = certificates.find((c) => owners.get(c.spkiSha256) !== c.owner);
      if (stranger) throw new KeyOwnerConflict(stranger.spkiSha256);
      const entries = chainAuditEvents(auditHead.get() ?? { seq: 0, hash: GENESIS_HASH }, certificates.map(issueAuditEvent), new Date());
      for (const entry of entries) insertAudit.run(entry.seq, entry.at, entry.action, entry.details, entry.prevHash, entry.hash);
      const last = entries[entries.length - 1]!;
      setHead.run(last.seq, last.hash);
    });
    // IMMEDIATE: take the write lock before reading the audit head, so another process cannot
    // slip a commit in between (a deferred transaction would then fail to upgrade).
    this.recordIssued = (certificates) => {
      if (certificates.length > 0) transaction.immediate(certificates);
    };
  }

  owners(spkiSha256s: readonly string[]): Map<string, string> {
    const rows = this.ownersOf.all(JSON.stringify(spkiSha256s));
    return new Map(rows.map((row) => [row.spki_sha256, row.owner]));
  }
}
