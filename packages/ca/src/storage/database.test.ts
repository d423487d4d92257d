import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { sql, type Kysely, type Migration } from "kysely";
import SQLite from "better-sqlite3";
import { temporaryDirectory } from "../testSupport.ts";
import { openDatabase, openMigratedDatabase } from "./database.ts";
import { migrations } from "./migrations.ts";

const DATABASE_MODULE = pathToFileURL(join(import.meta.dirname, "database.ts")).href;

/**
 * A process that opens the database when told to on stdin, so several can open it at one instant,
 * and then runs `work` (code using `opened`) before it closes it.
 */
function processOpeningOnCue(dir: string, work = "") {
  const script = `
    const { openDatabase } = await import(${JSON.stringify(DATABASE_MODULE)});
    process.stdout.write("ready\\n");
    await new Promise((go) => process.stdin.once("data", go));
    const opened = await openDatabase("sqlite:ca.sqlite", ${JSON.stringify(dir)});
    ${work}
    await opened.db.destroy();
    process.stdin.destroy();`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = once(child.stdout, "data");
  const exited = once(child, "exit").then(([code]) => ({ code: code as number | null, stderr }));
  return { child, ready, exited };
}

/** Starts the processes at one instant; asserts that each succeeded. */
async function runTogether(processes: ReadonlyArray<ReturnType<typeof processOpeningOnCue>>): Promise<void> {
  await Promise.all(processes.map(({ ready }) => ready));
  for (const { child } of processes) child.stdin.write("go\n");
  for (const { code, stderr } of await Promise.all(processes.map(({ exited }) => exited))) assert.equal(code, 0, stderr);
}

describe("SQLite migrations", () => {
  test("processes opening one new database at the same instant apply each migration once, and all succeed", async () => {
    const dir = temporaryDirectory();
    await runTogether(Array.from({ length: 4 }, () => processOpeningOnCue(dir)));

    const database = new SQLite(join(dir, "ca.sqlite"), { readonly: true });
    const applied = database.prepare("select name from kysely_migration order by name").pluck().all();
    database.close();
    assert.deepEqual(applied, Object.keys(await migrations("sqlite").getMigrations()).sort());
  });

  test("an upgrade that fails half-way leaves the database as it was, and says why", async () => {
    const dir = temporaryDirectory();
    (await openDatabase("sqlite:ca.sqlite", dir)).db.destroy();
    const createsTable: Migration = { up: (db: Kysely<unknown>) => db.schema.createTable("first_step").addColumn("id", "integer").execute() };
    const fails: Migration = { up: () => Promise.reject(new Error("the second step failed")) };
    const upgrade = () => ({ getMigrations: async () => ({ "0001_first_step": createsTable, "0002_fails": fails }) });

    await assert.rejects(openMigratedDatabase("sqlite:ca.sqlite", dir, upgrade, "upgrade_migration"), /the second step failed/);

    const opened = await openDatabase("sqlite:ca.sqlite", dir);
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name in ('first_step', 'upgrade_migration')`.execute(opened.db);
    await opened.db.destroy();
    assert.deepEqual(tables.rows, [], "neither the first step's table nor a record of it is left");
  });
});

describe("SQLite transactions", () => {
  test("transactions of several processes that read, then write, take turns: none fails (SQLITE_BUSY_SNAPSHOT), no update is lost", async () => {
    const dir = temporaryDirectory();
    const opened = await openDatabase("sqlite:ca.sqlite", dir);
    await sql`create table counter (n integer not null)`.execute(opened.db);
    await sql`insert into counter (n) values (0)`.execute(opened.db);
    await opened.db.destroy();
    // What the audit chain's append does: read the head, and write the next one after an await.
    const increments = `
      for (let round = 0; round < 100; round++)
        await opened.db.transaction().execute(async (trx) => {
          const { n } = await trx.selectFrom("counter").select("n").executeTakeFirstOrThrow();
          await new Promise((later) => setTimeout(later, 1));
          await trx.updateTable("counter").set({ n: n + 1 }).execute();
        });`;
    await runTogether(Array.from({ length: 3 }, () => processOpeningOnCue(dir, increments)));

    const database = new SQLite(join(dir, "ca.sqlite"), { readonly: true });
    const total = database.prepare("select n from counter").pluck().get();
    database.close();
    assert.equal(total, 300);
  });
});
