import { createHash } from "node:crypto";

export const GENESIS_HASH = "0".repeat(64);

/** What happened with a CA key. Details name serials and profiles, never personal data. */
export interface AuditEvent {
  readonly action: "init" | "issue" | "revoke" | "crl" | "ocsp-key-rollover" | "tsa-key-rollover" | "timestamps" | "api-call";
  readonly details: Record<string, string | number | boolean>;
}

export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly action: string;
  readonly details: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** Each entry's hash covers its own fields and the previous entry's hash, so any change breaks the chain. */
export function auditEntryHash(entry: Omit<AuditEntry, "hash">): string {
  return createHash("sha256")
    .update(JSON.stringify([entry.seq, entry.at, entry.action, entry.details, entry.prevHash]))
    .digest("hex");
}

/** Chains new events after the head (seq, hash) of the log. */
export function chainAuditEvents(head: { seq: number; hash: string }, events: readonly AuditEvent[], at: Date): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let previous = head;
  for (const event of events) {
    const unhashed = {
      seq: previous.seq + 1,
      at: at.toISOString(),
      action: event.action,
      details: JSON.stringify(event.details),
      prevHash: previous.hash,
    };
    const entry = { ...unhashed, hash: auditEntryHash(unhashed) };
    entries.push(entry);
    previous = entry;
  }
  return entries;
}

export type AuditProblem = { readonly seq: number; readonly problem: string };

/**
 * Walks the log in order and reports every entry that was changed, deleted, inserted or moved,
 * plus a head that does not match its entry or points past the end (entries cut off the end).
 * The head is read before the entries, so on a running CA entries after it are appends made
 * since: their chain is verified like the rest, they are not a problem of the head.
 */
export async function verifyAuditChain(
  entries: AsyncIterable<AuditEntry>,
  head: { seq: number; hash: string } | undefined,
): Promise<{ count: number; problems: AuditProblem[] }> {
  const problems: AuditProblem[] = [];
  let expectedSeq = 1;
  let previousHash = GENESIS_HASH;
  let count = 0;
  let hashAtHead: string | undefined;
  for await (const entry of entries) {
    count++;
    if (entry.seq === head?.seq) hashAtHead = entry.hash;
    if (entry.seq !== expectedSeq) {
      problems.push({
        seq: entry.seq,
        problem: entry.seq > expectedSeq ? `entries ${expectedSeq}..${entry.seq - 1} are missing (deleted)` : "entry is out of order",
      });
    }
    if (entry.prevHash !== previousHash) problems.push({ seq: entry.seq, problem: "previous-hash link is broken (entry deleted, inserted or reordered before it)" });
    if (auditEntryHash(entry) !== entry.hash) problems.push({ seq: entry.seq, problem: "entry content was changed (hash mismatch)" });
    expectedSeq = entry.seq + 1;
    previousHash = entry.hash;
  }
  const lastSeq = expectedSeq - 1;
  if (!head) {
    if (count > 0) problems.push({ seq: lastSeq, problem: "the log head record is missing" });
  } else if (head.seq > lastSeq) {
    problems.push({ seq: head.seq, problem: `the log head says entry ${head.seq} is last, but the log ends at ${lastSeq} (entries removed from the end)` });
  } else if (hashAtHead !== head.hash) {
    problems.push({ seq: head.seq, problem: `the log head does not match entry ${head.seq} (the head or that entry was changed)` });
  }
  return { count, problems };
}
