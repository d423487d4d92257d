// Millions of portal applications for the benchmarks (bench/portal.bench.ts, bench/console-search.bench.ts):
// a throwaway CA and portal on SQLite or PostgreSQL, bulk-filled with the secondary indexes dropped
// and rebuilt afterwards.
import { generateKeyPair, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import SQLite from "better-sqlite3";
import { CompiledQuery, sql } from "kysely";
import { createCertificationRequest, localSigningKey, toPem } from "@qoltanba/pki";
import type { FastifyInstance } from "fastify";
import { CsrfTokens } from "../packages/portal/src/web/csrf.ts";
import {
  createCaServer,
  DEMO_PERSONS_FILE,
  initCertificateAuthority,
  inProcessCaClient,
  openCertificateAuthority,
  POSTGRES_BENCH_URL,
  Portal,
  REGISTRATION_CENTERS,
} from "./support.ts";

export type Engine = "sqlite" | "postgres";

/** The options every bench over a filled portal takes (parseArgs): how many applications, on which engines. */
export const FILL_OPTIONS = {
  applications: { type: "string", default: "4000000" },
  engine: { type: "string", default: "both" },
} as const;

/** The engines `--engine both|sqlite|postgres` names. */
export const enginesOf = (engine: string): readonly Engine[] =>
  engine === "both" ? ["sqlite", "postgres"] : [engine as Engine];
/** The CA keys' password (a `qoltanba serve` of the filled folder gets it in its environment). */
export const PASSWORD = "benchmark password for CA keys";
/** Submissions spread evenly over the three years before the fill, application i older than i + 1. */
const SPAN_MILLISECONDS = 3 * 365 * 86_400_000;

/** Every 40th bulk application waits for confirmation; the rest are issued, installed or closed. */
export const statusOf = (i: number) =>
  i % 40 === 0
    ? "submitted"
    : i % 40 === 1
      ? "expired"
      : i % 40 === 2
        ? "rejected"
        : i % 2
          ? "issued"
          : "installed";
const luhn = (digits: string) => {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return digits + ((10 - (sum % 10)) % 10);
};
export const numberOf = (i: number) => luhn(String(100_000_000_000_000 + i * 7 + 3));
export const iinOf = (i: number) => String(800_000_000_000 + i);

/** 20 stems × 8 endings: 160 surnames, each stem a prefix shared by 1 in 20 applications. */
export const SURNAME_STEMS = [
  "АБДРАХМАН",
  "АХМЕТ",
  "БАЙМҰХАМЕД",
  "БЕКМАХАН",
  "ДОСМҰХАМБЕТ",
  "ЕРЖАН",
  "ЖАҚСЫБЕК",
  "ЖҰМАБАЙ",
  "ИСМАИЛ",
  "ҚАЙРАТ",
  "ҚАСЫМ",
  "МҰХТАР",
  "НҰРЛАН",
  "ОМАР",
  "САРСЕНБАЙ",
  "СЕРІК",
  "ТОҚТАР",
  "ТӨЛЕГЕН",
  "ӘБІЛ",
  "ШАЙМЕРДЕН",
];
const SURNAME_ENDINGS = ["ОВ", "ОВА", "ЕВ", "ЕВА", "ҰЛЫ", "ҚЫЗЫ", "БАЕВ", "БАЕВА"];
/** Scrambled so that neighbouring applications have unrelated surnames and centers. */
const scramble = (i: number) => Math.imul(i ^ 0x5bd1e995, 0x27d4eb2d) >>> 0;
export const surnameOf = (i: number) => {
  const k = scramble(i);
  return SURNAME_STEMS[k % SURNAME_STEMS.length]! + SURNAME_ENDINGS[(k >>> 8) % SURNAME_ENDINGS.length]!;
};
/** Every Registration Center of the country gets an equal share. */
export const centerOf = (i: number) =>
  REGISTRATION_CENTERS[(scramble(i) >>> 16) % REGISTRATION_CENTERS.length]!;

/** When application i of `count` was submitted, relative to `end` (the fill's start). */
export const submittedAtOf = (i: number, count: number, end: number) =>
  new Date(end - SPAN_MILLISECONDS + Math.floor((i * SPAN_MILLISECONDS) / count)).toISOString();

/** A PKCS#10 request with an empty subject, signed by its key (what the agent's generateCsr sends). */
async function benchCsr(): Promise<string> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
  const publicKeyInfo = publicKey.export({ type: "spki", format: "der" });
  return toPem(
    "CERTIFICATE REQUEST",
    await createCertificationRequest({ publicKeyInfo, key: localSigningKey(privateKey) }),
  );
}

/**
 * CSRs kept in the temp folder between runs (each run's databases are new, so a key is still fresh
 * to them): RSA key generation would otherwise dominate the set-up.
 */
export async function benchCsrs(count: number): Promise<string[]> {
  const cache = join(tmpdir(), "qoltanba-portal-bench-csrs.json");
  const kept = existsSync(cache) ? (JSON.parse(readFileSync(cache, "utf8")) as string[]) : [];
  if (kept.length < count) {
    const started = performance.now();
    kept.push(...(await Promise.all(Array.from({ length: count - kept.length }, () => benchCsr()))));
    writeFileSync(cache, JSON.stringify(kept));
    console.log(
      `${count} CSRs (RSA-2048 keys) made in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  return kept.slice(0, count);
}

function row(i: number, count: number, end: number) {
  const status = statusOf(i);
  const purged = status === "expired" || status === "rejected";
  const issued = status === "issued" || status === "installed";
  const hex = i.toString(16).padStart(62, "0");
  const center = centerOf(i);
  const submittedAt = submittedAtOf(i, count, end);
  const now = new Date(end).toISOString();
  return [
    numberOf(i),
    status,
    purged ? null : iinOf(i),
    purged ? null : surnameOf(i),
    purged ? null : "ТЕСТ",
    purged ? null : "ТЕСТОВИЧ",
    null,
    "kk",
    center.region,
    center.code.slice(0, -".rc".length),
    center.code,
    "file",
    purged ? null : `${hex}a1`,
    purged ? null : `${hex}b2`,
    null,
    submittedAt,
    // The waiting ones stay waiting through the run: the portal's sweeper expires overdue ones.
    status === "submitted" ? new Date(end + 30 * 86_400_000).toISOString() : submittedAt,
    issued ? submittedAt : null,
    issued ? submittedAt : null,
    status === "installed" ? submittedAt : null,
    purged ? now : null,
    purged ? now : null,
    issued ? "bench" : null,
    status === "rejected" ? "bench" : null,
    issued ? `${hex}01` : null,
    issued ? `${hex}02` : null,
  ];
}
const COLUMNS = [
  "number",
  "status",
  "iin",
  "surname",
  "given_name",
  "patronymic",
  "email",
  "language",
  "region",
  "locality",
  "center",
  "storage",
  "auth_spki_sha256",
  "sign_spki_sha256",
  "receipt_hash",
  "submitted_at",
  "deadline_at",
  "confirmed_at",
  "issued_at",
  "installed_at",
  "closed_at",
  "purged_at",
  "operator",
  "rejection_reason",
  "auth_serial",
  "sign_serial",
];

/** Bulk load: secondary indexes dropped and rebuilt afterwards, rows in large batches. */
async function fill(
  portal: Portal,
  engine: Engine,
  sqlitePath: string,
  count: number,
  csr: string,
): Promise<void> {
  const end = Date.now();
  const started = performance.now();
  if (engine === "sqlite") {
    const db = new SQLite(sqlitePath);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = OFF");
    const indexes = db
      .prepare(
        "select sql from sqlite_master where type = 'index' and tbl_name = 'applications' and sql is not null",
      )
      .all() as Array<{ sql: string }>;
    for (const index of indexes)
      db.exec(`drop index ${/create (?:unique )?index "?(\w+)"?/i.exec(index.sql)![1]}`);
    const insert = db.prepare(
      `insert into applications (${COLUMNS.join(", ")}) values (${COLUMNS.map(() => "?").join(", ")})`,
    );
    const insertCsrs = db.prepare(
      "insert into application_csrs (number, auth_csr, sign_csr) values (?, ?, ?)",
    );
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        insert.run(...row(i, count, end));
        if (statusOf(i) === "submitted") insertCsrs.run(numberOf(i), csr, csr);
      }
    });
    for (let from = 0; from < count; from += 100_000) batch(from, Math.min(count, from + 100_000));
    const loaded = performance.now();
    for (const index of indexes) db.exec(index.sql);
    db.exec("analyze");
    db.close();
    console.log(
      `sqlite: ${count} applications inserted in ${((loaded - started) / 1000).toFixed(1)} s, indexes in ${((performance.now() - loaded) / 1000).toFixed(1)} s`,
    );
    return;
  }
  const db = portal.store.db;
  const indexes = (
    await sql<{
      indexname: string;
      indexdef: string;
    }>`select indexname, indexdef from pg_indexes where tablename = 'applications' and schemaname = current_schema() and indexname <> 'applications_pkey'`.execute(
      db,
    )
  ).rows;
  for (const index of indexes) await sql.raw(`drop index ${index.indexname}`).execute(db);
  const types = COLUMNS.map(() => "text[]");
  const insert = `insert into applications (${COLUMNS.join(", ")}) select * from unnest(${types.map((type, index) => `$${index + 1}::${type}`).join(", ")})`;
  for (let from = 0; from < count; from += 20_000) {
    const rows: Array<ReturnType<typeof row>> = [];
    for (let i = from; i < Math.min(count, from + 20_000); i++) rows.push(row(i, count, end));
    const columns = COLUMNS.map((_, column) => rows.map((values) => values[column]));
    await db.executeQuery(CompiledQuery.raw(insert, columns));
    const submitted = rows.filter((values) => values[1] === "submitted").map((values) => values[0] as string);
    if (submitted.length > 0) {
      await db.executeQuery(
        CompiledQuery.raw(
          "insert into application_csrs (number, auth_csr, sign_csr) select n, $2, $2 from unnest($1::text[]) as n",
          [submitted, csr],
        ),
      );
    }
  }
  const loaded = performance.now();
  for (const index of indexes) await sql.raw(index.indexdef).execute(db);
  await sql`analyze applications`.execute(db);
  console.log(
    `postgres: ${count} applications inserted in ${((loaded - started) / 1000).toFixed(1)} s, indexes in ${((performance.now() - loaded) / 1000).toFixed(1)} s`,
  );
}

export interface ServedPortal {
  readonly server: Awaited<ReturnType<typeof createCaServer>>;
  readonly port: number;
  /** A CSRF cookie value and the token the portal's forms need with it. */
  readonly csrf: { readonly cookie: string; readonly token: string };
}

/**
 * The portal beside the CA's services on a free loopback port, as `qoltanba serve` runs them;
 * `prepare` may add hooks (timing) before the portal registers.
 */
export async function servePortal(
  filled: Pick<FilledPortal, "ca" | "portal">,
  prepare?: (app: FastifyInstance) => void,
): Promise<ServedPortal> {
  const server = await createCaServer(filled.ca);
  prepare?.(server.app);
  await server.app.register(filled.portal.plugin);
  const address = await server.app.listen({ host: "127.0.0.1", port: 0 });
  const cookie = "benchcsrfcookie";
  return {
    server,
    port: Number(new URL(address).port),
    csrf: { cookie, token: new CsrfTokens(filled.portal.csrfKey).tokenFor(cookie) },
  };
}

export interface FilledPortal {
  readonly portal: Portal;
  readonly ca: Awaited<ReturnType<typeof openCertificateAuthority>>;
  /** The CA's folder; SQLite's portal database is `portal.sqlite` in it. */
  readonly dir: string;
  /** The PostgreSQL schema of the run, or undefined on SQLite. */
  readonly schema: string | undefined;
  /** Closes the portal and the CA, drops the PostgreSQL schema and deletes the folder. */
  close(): Promise<void>;
}

/** A new CA and portal on `engine` holding `count` applications (the waiting ones with `csr` as both CSRs). */
export async function filledPortal(engine: Engine, count: number, csr: string): Promise<FilledPortal> {
  const work = mkdtempSync(join(tmpdir(), "qoltanba-portal-bench-"));
  const dir = join(work, "ca");
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const databaseUrl = engine === "postgres" ? `${POSTGRES_BENCH_URL}?schema=${schema}` : undefined;
  await initCertificateAuthority({
    dir,
    password: PASSWORD,
    issuingKeyBits: 2048,
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  const ca = await openCertificateAuthority(dir, { password: PASSWORD });
  const unlimited = { limit: 1e9, windowMilliseconds: 60_000 };
  const portal = await Portal.open({
    ca: inProcessCaClient(ca),
    databaseUrl: databaseUrl ?? "sqlite:portal.sqlite",
    baseDir: dir,
    registry: { kind: "embedded", file: DEMO_PERSONS_FILE },
    rateLimits: { identity: unlimited, submit: unlimited, status: unlimited },
  });
  await fill(portal, engine, join(dir, "portal.sqlite"), count, csr);
  // As in a running portal, the expiry reminders have seen every issuance so far: a `qoltanba serve`
  // started on the fill must not begin by asking the CA about millions of certificates (whose
  // serials, made up here, it does not hold).
  await portal.store.db
    .insertInto("reminder_progress")
    .values({ name: "issued", issued_at: new Date().toISOString() })
    .execute();
  return {
    portal,
    ca,
    dir,
    schema: databaseUrl ? schema : undefined,
    async close() {
      await portal.close();
      await ca.close();
      if (engine === "postgres") {
        const pg = (await import("pg")).default;
        const client = new pg.Client({ connectionString: POSTGRES_BENCH_URL });
        await client.connect();
        await client.query(`drop schema ${schema} cascade`);
        await client.end();
      }
      // A 4,000,000-application SQLite database is some 5 GB.
      rmSync(work, { recursive: true, force: true });
    },
  };
}
