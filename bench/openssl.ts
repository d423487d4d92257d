import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { toPem } from "@qoltanba/pki";

const run = promisify(execFile);

/** `openssl speed -seconds N rsa2048` (one process, so one core): RSA-2048 signatures per second. */
export async function opensslRsa2048SignsPerSecond(seconds: number): Promise<number> {
  const { stdout } = await run("openssl", ["speed", "-seconds", String(seconds), "rsa2048"], {
    maxBuffer: 1 << 20,
  });
  const match = /^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+[\d.]+\s*$/m.exec(stdout);
  if (!match) throw new Error(`cannot find the rsa 2048 sign/s figure in openssl speed output:\n${stdout}`);
  return Number(match[1]);
}

export async function opensslVersion(): Promise<string> {
  return (await run("openssl", ["version"])).stdout.trim();
}

/**
 * `openssl verify` of each certificate against the CA's root, with the issuing CA as intermediate.
 * Returns how many openssl reported OK; throws with openssl's output if any did not verify.
 */
export async function opensslVerify(
  dir: string,
  root: Buffer,
  issuing: Buffer,
  certificates: readonly Buffer[],
): Promise<number> {
  await writeFile(join(dir, "root.pem"), toPem("CERTIFICATE", root));
  await writeFile(join(dir, "issuing.pem"), toPem("CERTIFICATE", issuing));
  const paths = certificates.map((_, index) => join(dir, `issued-${index}.pem`));
  await Promise.all(
    certificates.map((certificate, index) => writeFile(paths[index]!, toPem("CERTIFICATE", certificate))),
  );
  const args = ["verify", "-CAfile", join(dir, "root.pem"), "-untrusted", join(dir, "issuing.pem"), ...paths];
  const { stdout, stderr } = await run("openssl", args, { maxBuffer: 16 << 20 }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`openssl verify failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`);
    },
  );
  const ok = stdout.split("\n").filter((line) => line.endsWith(": OK")).length;
  if (ok !== certificates.length)
    throw new Error(`openssl verify: ${ok} of ${certificates.length} OK\n${stdout}${stderr}`);
  return ok;
}
