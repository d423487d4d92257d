import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { sha256Hex } from "./consoleStore.ts";
import type { AuditDetails, ConsoleAuditAppender } from "./consoleAuditAppend.ts";
import type { Audience, PortalDatabase, SessionsTable } from "./schema.ts";

const iso = (date: Date) => date.toISOString();

/** Who a session is for: an operator in the console, a person in the cabinet; and the AUTH certificate it was opened with. */
export type Session =
  | { readonly audience: "console"; readonly operatorId: number; readonly serial: string }
  | { readonly audience: "cabinet"; readonly iin: string; readonly serial: string };

export type SessionOf<A extends Audience> = Extract<Session, { audience: A }>;

/** The console log's entries for a login and a logout, as each site has always written them. */
function auditOf(session: Session, event: "login" | "logout"): [string, AuditDetails] {
  if (session.audience === "console")
    return event === "login"
      ? ["login", { operator: session.operatorId, serial: session.serial }]
      : ["logout", { operator: session.operatorId }];
  return [`cabinet-${event}`, { serial: session.serial }];
}

function sessionOf(row: Pick<SessionsTable, "audience" | "operator_id" | "iin" | "serial">): Session {
  return row.audience === "console"
    ? { audience: "console", operatorId: Number(row.operator_id), serial: row.serial }
    : { audience: "cabinet", iin: row.iin!, serial: row.serial };
}

/** A token as the cookie carries it (32 random bytes, base64url); anything longer is not one. */
const MAX_TOKEN_LENGTH = 64;

/**
 * The login sessions of the console and the cabinet: one table, each row bound to its audience. The
 * token goes into an HttpOnly cookie; the table keeps only its SHA-256, so it never holds a usable session.
 */
export class SessionStore {
  constructor(
    private readonly db: Kysely<PortalDatabase>,
    private readonly audit: ConsoleAuditAppender,
  ) {}

  /** Opens a session with its login entry in the console log; returns its token. */
  async open(session: Session, now: Date, expiresAt: Date): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("sessions")
        .values({
          token_hash: sha256Hex(token),
          audience: session.audience,
          operator_id: session.audience === "console" ? session.operatorId : null,
          iin: session.audience === "cabinet" ? session.iin : null,
          serial: session.serial,
          created_at: iso(now),
          expires_at: iso(expiresAt),
          ended_at: null,
        })
        .execute();
      await this.audit.appendAuditIn(trx, ...auditOf(session, "login"), now);
    });
    return token;
  }

  /** The live session of this audience: another audience's token, an ended or expired one, is none. */
  async live<A extends Audience>(
    audience: A,
    token: string | undefined,
    now: Date,
  ): Promise<SessionOf<A> | undefined> {
    if (!token || token.length > MAX_TOKEN_LENGTH) return undefined;
    const row = await this.db
      .selectFrom("sessions")
      .select(["audience", "operator_id", "iin", "serial"])
      .where("token_hash", "=", sha256Hex(token))
      .where("audience", "=", audience)
      .where("ended_at", "is", null)
      .where("expires_at", ">", iso(now))
      .executeTakeFirst();
    return row && (sessionOf(row) as SessionOf<A>);
  }

  /** Ends this audience's session, with its logout entry; an unknown or ended one is left alone. */
  async end(audience: Audience, token: string, now: Date): Promise<void> {
    const tokenHash = sha256Hex(token);
    await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom("sessions")
        .select(["audience", "operator_id", "iin", "serial"])
        .where("token_hash", "=", tokenHash)
        .where("audience", "=", audience)
        .where("ended_at", "is", null)
        .executeTakeFirst();
      if (!row) return;
      await trx
        .updateTable("sessions")
        .set({ ended_at: iso(now) })
        .where("token_hash", "=", tokenHash)
        .execute();
      await this.audit.appendAuditIn(trx, ...auditOf(sessionOf(row), "logout"), now);
    });
  }
}
