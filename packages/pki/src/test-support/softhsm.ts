// Test-only: throwaway SoftHSM2 tokens in a temporary token folder of this test process, for the CA's
// HSM tests and the agent's token stores alike.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";
export const TEST_PIN = "test-user-pin-1234";

let tokenDir: string | undefined;

/** Points SoftHSM2 at a fresh token folder (once per process: the library reads SOFTHSM2_CONF at C_Initialize). */
function softHsmTokenDir(): string {
  if (tokenDir) return tokenDir;
  const dir = mkdtempSync(join(tmpdir(), "qoltanba-softhsm-"));
  tokenDir = join(dir, "tokens");
  mkdirSync(tokenDir);
  const conf = join(dir, "softhsm2.conf");
  writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  return tokenDir;
}

/** A new initialised token (user PIN `pin`); returns its label and the folder SoftHSM2 keeps it in. */
export function createSoftHsmToken(labelPrefix: string, pin = TEST_PIN): { label: string; folder: string } {
  const dir = softHsmTokenDir();
  const before = new Set(readdirSync(dir));
  const label = `${labelPrefix}-${randomBytes(4).toString("hex")}`;
  // softhsm2-util takes PINs only as arguments; these are throwaway test PINs of a throwaway token.
  execFileSync(
    "softhsm2-util",
    ["--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "test-so-pin-5678"],
    {
      stdio: "pipe",
    },
  );
  const folder = readdirSync(dir).find((entry) => !before.has(entry));
  if (!folder) throw new Error("softhsm2-util created no token folder");
  return { label, folder: join(dir, folder) };
}

/** `pkcs11-tool` against the test token (the throwaway test PIN on its command line is acceptable here). */
export function pkcs11Tool(
  label: string,
  args: string[],
  pin = TEST_PIN,
): { status: number; output: string } {
  try {
    const output = execFileSync(
      "pkcs11-tool",
      ["--module", SOFTHSM_MODULE, "--token-label", label, "--login", "--pin", pin, ...args],
      {
        stdio: "pipe",
      },
    );
    return { status: 0, output: output.toString() };
  } catch (error) {
    const failure = error as { status: number; stdout: Buffer; stderr: Buffer };
    return { status: failure.status, output: `${failure.stdout}${failure.stderr}` };
  }
}

/** Deletes a token made by createSoftHsmToken: as if it were pulled out and thrown away. */
export function deleteSoftHsmToken(label: string): void {
  execFileSync("softhsm2-util", ["--delete-token", "--token", label], { stdio: "pipe" });
}
