import type { OpenOptions } from "./authority.ts";
import { readCaConfig } from "./caFolder.ts";
import { readHsmPins, type HsmPinSources } from "./hsmPins.ts";
import { PASSWORD_ENV, readKeyPassword } from "./password.ts";
import { hsmTokens } from "./signer/hsmConfig.ts";

export interface SecretFiles extends HsmPinSources {
  readonly passwordFile?: string | undefined;
}

/**
 * What unlocks this CA's signing keys: the PINs of the HSM tokens given (when ca.json names an
 * HSM), else the key password; each from its file or its environment variable. Undefined when
 * none was given and `required` is false (the CA then only publishes).
 */
export async function readUnlockOptions(dir: string, files: SecretFiles, required: boolean, env: NodeJS.ProcessEnv = process.env): Promise<OpenOptions | undefined> {
  const config = await readCaConfig(dir);
  if (config.hsm) {
    const pins = await readHsmPins(hsmTokens(config.hsm), files, required ? "some" : "any", env);
    return pins.size > 0 ? { hsmPins: pins } : undefined;
  }
  if (!required && files.passwordFile === undefined && !env[PASSWORD_ENV]) return undefined;
  return { password: await readKeyPassword(files.passwordFile, env) };
}
