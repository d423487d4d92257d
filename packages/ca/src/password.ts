import { readFile } from "node:fs/promises";
import { InputError } from "@qoltanba/pki";

export const PASSWORD_ENV = "QOLTANBA_KEY_PASSWORD";

/**
 * The CA key password: from a file (first line) when given, else from QOLTANBA_KEY_PASSWORD.
 * Never from a command-line argument, where other users of the machine could read it.
 */
export async function readKeyPassword(passwordFile?: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return readSecret("password", "the CA key password", PASSWORD_ENV, "--password-file", passwordFile, env);
}

export const HSM_PIN_ENV = "QOLTANBA_HSM_PIN";

/** The HSM user PIN, by the same rules: a file (first line) or QOLTANBA_HSM_PIN, never a flag value. */
export async function readHsmPin(pinFile?: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return readSecret("pin", "the HSM PIN", HSM_PIN_ENV, "--pin-file", pinFile, env);
}

async function readSecret(code: string, what: string, envName: string, flag: string, file: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  let secret: string | undefined;
  if (file) {
    const text = await readFile(file, "utf8").catch(() => {
      throw new InputError(`${code}_file`, `cannot read the ${code} file ${file}`);
    });
    secret = text.split(/\r?\n/)[0];
  } else {
    secret = env[envName];
  }
  if (!secret) throw new InputError(`no_${code}`, `${what} is needed: set ${envName} or pass ${flag} FILE`);
  return secret;
}
