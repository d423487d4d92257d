import { readFile } from "node:fs/promises";
import { InputError } from "@qoltanba/pki";

export const PASSWORD_ENV = "QOLTANBA_KEY_PASSWORD";

/**
 * The CA key password: from a file (first line) when given, else from QOLTANBA_KEY_PASSWORD.
 * Never from a command-line argument, where other users of the machine could read it.
 */
export async function readKeyPassword(passwordFile?: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const password = passwordFile ? await readSecretFile("password", passwordFile) : env[PASSWORD_ENV];
  if (!password) throw new InputError("no_password", `the CA key password is needed: set ${PASSWORD_ENV} or pass --password-file FILE`);
  return password;
}

/** The HSM user PIN of a CA on one token (several tokens: hsmPins.ts), by the same rules. */
export const HSM_PIN_ENV = "QOLTANBA_HSM_PIN";

/** The first line of a secret's file (empty when the file is). */
export async function readSecretFile(code: string, file: string): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => {
    throw new InputError(`${code}_file`, `cannot read the ${code} file ${file}`);
  });
  return text.split(/\r?\n/)[0]!;
}
