// A portal database as it was before 0007_sessions_and_signed_actions, for the upgrade tests: a CA
// that issued an operator's and a person's AUTH and SIGN certificates, a live console session and a
// live cabinet session, two signed decisions and a signed cabinet revocation (whose effect failed),
// each signed by OpenSSL and entered in the console log as the code of that time wrote them.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Generated, MigrationProvider } from "kysely";
import { openMigratedDatabase, type CertificateAuthority, type Engine } from "@qoltanba/ca";
import { canonicalJson } from "../../auth/canonicalJson.ts";
import { inProcessCaClient } from "../../caClient.ts";
import type { TestDatabase } from "../../../../ca/src/testSupport.ts";
import { issuePersonKeys, opensslSign, PERSON, startTestCa, type TestKey } from "../../testSupport.ts";
import { appendConsoleAudit, type AuditDetails } from "../consoleAuditAppend.ts";
import { sha256Hex } from "../consoleStore.ts";
import { PORTAL_MIGRATION_TABLE, portalMigrations } from "../migrations.ts";
import type { DecisionKind, OperatorsTable, PortalDatabase, SignedActionsTable } from "../schema.ts";

export const OPERATOR_IIN = "781123301050";
const APPLICATION = "1234567890123456";

export interface PortalBeforeMerge {
  /** The CA folder (the portal's SQLite file is in it; on PostgreSQL the portal shares the CA's schema). */
  readonly dir: string;
  readonly ca: CertificateAuthority;
  readonly databaseUrl: string;
  readonly operatorId: number;
  readonly consoleToken: string;
  readonly cabinetToken: string;
  readonly person: { readonly iin: string; readonly authSerial: string; readonly signSerial: string };
  /** The console log's entries. */
  readonly entries: number;
}

type OldSession = {
  token_hash: string;
  serial: string;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
};
type OldSignedAction = Omit<SignedActionsTable, "id" | "audience" | "operator_id"> & {
  id: Generated<number>;
};

/** The tables 0007 replaces, as 0004_console and 0005_cabinet made them. */
type TablesBeforeMerge = {
  console_sessions: OldSession & { operator_id: number };
  cabinet_sessions: OldSession & { iin: string };
  decisions: OldSignedAction & { operator_id: number };
  cabinet_actions: OldSignedAction;
};

/** The portal's migrations before 0007. */
const migrationsBeforeMerge = (engine: Engine): MigrationProvider => ({
  async getMigrations() {
    const all = await portalMigrations(engine).getMigrations();
    return Object.fromEntries(Object.entries(all).filter(([name]) => name < "0007"));
  },
});

export async function portalBeforeMerge(database: TestDatabase, work: string): Promise<PortalBeforeMerge> {
  const ca = await startTestCa(database, join(work, "ca"));
  const operator = await issuePersonKeys(
    inProcessCaClient(ca),
    { iin: OPERATOR_IIN, surname: "ОПЕРАТОРОВ", givenName: "ОПЕРАТОР" },
    work,
  );
  const person = await issuePersonKeys(inProcessCaClient(ca), PERSON, work);
  const dir = ca.dir;

  const databaseUrl = database.url ?? "sqlite:portal.sqlite";
  const opened = await openMigratedDatabase<PortalDatabase>(
    databaseUrl,
    dir,
    migrationsBeforeMerge,
    PORTAL_MIGRATION_TABLE,
  );
  const db = opened.db.withTables<TablesBeforeMerge>();
  const now = new Date();
  const at = now.toISOString();
  let entries = 0;
  const audit = (action: string, details: AuditDetails) =>
    opened.db.transaction().execute(async (trx) => {
      entries++;
      return appendConsoleAudit(trx, opened.engine, action, details, now);
    });
  const session = () => {
    const token = randomBytes(32).toString("base64url");
    return {
      token,
      row: {
        token_hash: sha256Hex(token),
        created_at: at,
        expires_at: new Date(now.getTime() + 30 * 60_000).toISOString(),
        ended_at: null,
      },
    };
  };
  const signed = (fields: Record<string, string>, key: TestKey) => {
    const document = canonicalJson({ ...fields, nonce: randomBytes(24).toString("base64url"), at });
    return { document, cms: opensslSign(document, key) };
  };

  try {
    const { id: operatorId } = await db
      .insertInto("operators")
      .values({
        iin: OPERATOR_IIN,
        role: "operator",
        center: "astana.esil.rc",
        region: null,
        status: "active",
        enrolment_hash: null,
        enrolment_expires_at: null,
        application_number: null,
        auth_serial: operator.auth.serial,
        sign_serial: operator.sign.serial,
        created_at: at,
        created_by: "cli",
      } as Omit<OperatorsTable, "id"> as OperatorsTable)
      .returning("id")
      .executeTakeFirstOrThrow();
    const consoleSession = session();
    await db
      .insertInto("console_sessions")
      .values({ ...consoleSession.row, operator_id: operatorId, serial: operator.auth.serial })
      .execute();
    await audit("login", { operator: Number(operatorId), serial: operator.auth.serial });
    const cabinetSession = session();
    await db
      .insertInto("cabinet_sessions")
      .values({ ...cabinetSession.row, iin: PERSON.iin, serial: person.auth.serial })
      .execute();
    await audit("cabinet-login", { serial: person.auth.serial });

    const decisions: ReadonlyArray<{ kind: DecisionKind; fields: Record<string, string> }> = [
      { kind: "reject", fields: { reason: "the documents did not match" } },
      { kind: "confirm", fields: {} },
    ];
    for (const { kind, fields } of decisions) {
      const decision = signed(
        {
          type: "qoltanba-decision",
          decision: kind,
          application: APPLICATION,
          operator: operator.sign.serial,
          ...fields,
        },
        operator.sign,
      );
      const seq = await audit(`decision-${kind}`, {
        operator: Number(operatorId),
        signer: operator.sign.serial,
        application: APPLICATION,
        document: sha256Hex(decision.document),
      });
      await db
        .insertInto("decisions")
        .values({
          kind,
          application_number: APPLICATION,
          certificate_serial: null,
          operator_id: operatorId,
          signer_serial: operator.sign.serial,
          ...decision,
          at,
          outcome: "applied",
          audit_seq: seq,
        })
        .execute();
    }

    const revocation = signed(
      {
        type: "qoltanba-cabinet",
        action: "revoke",
        certificate: person.auth.serial,
        reason: "superseded",
        signer: person.sign.serial,
      },
      person.sign,
    );
    const seq = await audit("cabinet-revoke", {
      signer: person.sign.serial,
      serial: person.auth.serial,
      document: sha256Hex(revocation.document),
    });
    const { id: actionId } = await db
      .insertInto("cabinet_actions")
      .values({
        kind: "revoke",
        certificate_serial: person.auth.serial,
        application_number: null,
        signer_serial: person.sign.serial,
        ...revocation,
        at,
        outcome: "failed: the CA did not answer",
        audit_seq: seq,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await audit("cabinet-action-failed", { action: Number(actionId) });

    return {
      dir,
      ca,
      databaseUrl,
      operatorId: Number(operatorId),
      consoleToken: consoleSession.token,
      cabinetToken: cabinetSession.token,
      person: { iin: PERSON.iin, authSerial: person.auth.serial, signSerial: person.sign.serial },
      entries,
    };
  } finally {
    await opened.db.destroy();
  }
}
