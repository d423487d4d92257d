import { readFile } from "node:fs/promises";
import { InputError } from "@qoltanba/pki";

export const PASSWORD_ENV = "QOLTANBA_KEY_PASSWORD";

/**
 * The CA key password: from a file (first line) when given, else from QOLTANBA_KEY_PASSWORD.
 * Never from a command-line argument, where other users of the machine could read it.
 */
export async function readKeyPassword(passwordFile?: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let password: string | undefined;
  if (passwordFile) {
    const text = await readFile(passwordFile, "utf8").catch(() => {
      throw new InputError("password_file", `cannot read the password file ${passwordFile}`);
    });
    password = text.split(/\r?\n/)[0];
  } else {
    password = env[PASSWORD_ENV];
  }
  if (!password) {
    throw new InputError("no_password", `the CA key password is needed: set ${PASSWORD_ENV} or pass --password-file FILE`);
  }
  return password;
}
