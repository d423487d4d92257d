import type { OpenOptions } from "./authority.ts";
import { readCaConfig } from "./caFolder.ts";
import { HSM_PIN_ENV, PASSWORD_ENV, readHsmPin, readKeyPassword } from "./password.ts";

export interface SecretFiles {
  readonly passwordFile?: string | undefined;
  readonly pinFile?: string | undefined;
}

/**
 * What unlocks this CA's signing keys: the HSM PIN when ca.json names an HSM, else the key
 * password; each from its file or its environment variable. Undefined when none was given and
 * `required` is false (the CA then only publishes).
 */
export async function readUnlockOptions(dir: string, files: SecretFiles, required: boolean, env: NodeJS.ProcessEnv = process.env): Promise<OpenOptions | undefined> {
  const config = await readCaConfig(dir);
  if (config.hsm) {
    if (!required && files.pinFile === undefined && !env[HSM_PIN_ENV]) return undefined;
    return { hsmPin: await readHsmPin(files.pinFile, env) };
  }
  if (!required && files.passwordFile === undefined && !env[PASSWORD_ENV]) return undefined;
  return { password: await readKeyPassword(files.passwordFile, env) };
}
