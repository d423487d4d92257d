// Helpers shared by the CA's tests: temporary folders, OpenSSL-made CSRs, and both database engines.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export const TEST_PASSWORD = "test password for CA keys";

export function temporaryDirectory(prefix = "qoltanba-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function openssl(args: string[], input?: Buffer | string): Buffer {
  return execFileSync("openssl", args, { input: input ?? "", stdio: ["pipe", "pipe", "pipe"] });
}

/** Runs openssl and returns its exit status and combined output, for checks that expect failure. */
export function opensslResult(args: string[]): { status: number; output: string } {
  try {
    return { status: 0, output: execFileSync("openssl", args, { stdio: ["pipe", "pipe", "pipe"] }).toString() };
  } catch (error) {
    const failure = error as { status: number; stdout: Buffer; stderr: Buffer };
    return { status: failure.status, output: `${failure.stdout}${failure.stderr}` };
  }
}

/** A CSR made by OpenSSL, with the key options given (e.g. rsa_keygen_bits:2048). */
export function opensslCsr(dir: string, name: string, keyOptions: string[] = ["-newkey", "rsa:2048"]): { csrPath: string; keyPath: string; csr: Buffer } {
  const keyPath = join(dir, `${name}.key`);
  const csrPath = join(dir, `${name}.csr`);
  openssl(["req", "-new", ...keyOptions, "-nodes", "-keyout", keyPath, "-subj", "/CN=ignored by the CA", "-out", csrPath]);
  return { csrPath, keyPath, csr: readFileSync(csrPath) };
}

export function writePem(dir: string, name: string, pem: string): string {
  const path = join(dir, name);
  writeFileSync(path, pem);
  return path;
}

export const POSTGRES_URL = process.env.QOLTANBA_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  readonly engine: "sqlite" | "postgres";
  /** undefined: the default SQLite file in the CA folder. */
  readonly url: string | undefined;
  drop(): Promise<void>;
}

/** Both engines: the CA suite runs against each. PostgreSQL gets a fresh schema per call. */
export function testDatabases(): Array<() => TestDatabase> {
  return [
    () => ({ engine: "sqlite", url: undefined, drop: async () => undefined }),
    () => {
      const schema = `t_${randomBytes(6).toString("hex")}`;
      return {
        engine: "postgres",
        url: `${POSTGRES_URL}?schema=${schema}`,
        async drop() {
          const client = new pg.Client({ connectionString: POSTGRES_URL });
          await client.connect();
          await client.query(`drop schema if exists ${schema} cascade`);
          await client.end();
        },
      };
    },
  ];
}

/** Closes, from the server's side, every PostgreSQL connection with this application_name, as a failover or a restart does. */
export async function cutPostgresConnections(applicationName: string): Promise<number> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const result = await client.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1", [applicationName]);
    return result.rowCount ?? 0;
  } finally {
    await client.end();
  }
}
