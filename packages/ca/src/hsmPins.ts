import { InputError } from "@qoltanba/pki";
import { HSM_PIN_ENV, readSecretFile } from "./password.ts";

export const TOKEN_PIN_FLAG = "--token-pin-file";

/** Where a command was told to find HSM PINs (besides the environment). Never a PIN itself. */
export interface HsmPinSources {
  /** `--pin-file FILE`: the PIN of a CA whose keys are all on one token. */
  readonly pinFile?: string | undefined;
  /** `--token-pin-file TOKEN=FILE`, once per token. */
  readonly tokenPinFiles?: readonly string[] | undefined;
}

/** The environment variable holding one token's PIN: QOLTANBA_HSM_PIN_ and the label upper-cased, other characters than letters and digits as "_". */
export const tokenPinEnv = (token: string) =>
  `${HSM_PIN_ENV}_${token.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

/**
 * Which tokens must have a PIN: `every` one (ca init writes to all), `some` (a command that signs:
 * it then fails naming a key whose token it lacks), or `any` number (serve: none means publishing only).
 */
export type PinsNeeded = "every" | "some" | "any";

/**
 * The PINs given for the CA's HSM tokens, by label: `--token-pin-file TOKEN=FILE` (first line),
 * else the token's variable (`tokenPinEnv`); for a CA on one token also `--pin-file FILE` or
 * QOLTANBA_HSM_PIN, as before tokens per role. With several tokens those two are refused: a PIN
 * tried on the wrong token counts towards locking it.
 */
export async function readHsmPins(
  tokens: readonly string[],
  sources: HsmPinSources,
  needed: PinsNeeded,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Map<string, string>> {
  const single = tokens.length === 1 ? tokens[0] : undefined;
  if (single === undefined && (sources.pinFile !== undefined || env[HSM_PIN_ENV])) {
    throw new InputError(
      "hsm_pin_ambiguous",
      `the CA's keys are on ${tokens.length} HSM tokens (${quoted(tokens)}): give each token's PIN with ${TOKEN_PIN_FLAG} TOKEN=FILE or ${HSM_PIN_ENV}_TOKEN, not ${sources.pinFile !== undefined ? "--pin-file" : HSM_PIN_ENV}`,
    );
  }
  const files = pinFilesByToken(tokens, sources);
  checkDistinctVariables(tokens, env);
  const pins = new Map<string, string>();
  for (const token of tokens) {
    const file = files.get(token);
    const pin =
      file !== undefined
        ? await readSecretFile("pin", file)
        : env[tokenPinEnv(token)] || (token === single ? env[HSM_PIN_ENV] : undefined);
    if (pin) pins.set(token, pin);
    else if (file !== undefined)
      throw new InputError("no_pin", `the PIN file ${file} of the HSM token "${token}" is empty`);
  }
  const missing = tokens.filter((token) => !pins.has(token));
  if ((needed === "every" && missing.length > 0) || (needed === "some" && pins.size === 0)) {
    const ways = missing.map(
      (token) => `"${token}": ${TOKEN_PIN_FLAG} ${token}=FILE or ${tokenPinEnv(token)}`,
    );
    if (single !== undefined) ways.push(`or --pin-file FILE or ${HSM_PIN_ENV}`);
    throw new InputError("no_pin", `the HSM PIN is needed (${ways.join("; ")})`);
  }
  return pins;
}

const quoted = (tokens: readonly string[]) => tokens.map((token) => `"${token}"`).join(", ");

function pinFilesByToken(tokens: readonly string[], sources: HsmPinSources): Map<string, string> {
  const files = new Map<string, string>();
  const add = (token: string, file: string) => {
    if (files.has(token)) throw new InputError("hsm_pin_twice", `two PIN files for the HSM token "${token}"`);
    files.set(token, file);
  };
  if (sources.pinFile !== undefined && tokens.length === 1) add(tokens[0]!, sources.pinFile);
  for (const entry of sources.tokenPinFiles ?? []) {
    const at = entry.indexOf("=");
    const token = entry.slice(0, at);
    const file = entry.slice(at + 1);
    if (at < 1 || file === "")
      throw new InputError("bad_token_pin_file", `${TOKEN_PIN_FLAG} takes TOKEN=FILE, got ${entry}`);
    if (!tokens.includes(token))
      throw new InputError(
        "hsm_unknown_token",
        `${TOKEN_PIN_FLAG} names the HSM token "${token}", but the CA's keys are on ${quoted(tokens)}`,
      );
    add(token, file);
  }
  return files;
}

/** Two labels that differ only in punctuation share a variable: which token it is for cannot be told. */
function checkDistinctVariables(tokens: readonly string[], env: NodeJS.ProcessEnv): void {
  for (const token of tokens) {
    const name = tokenPinEnv(token);
    const sharing = tokens.filter((other) => tokenPinEnv(other) === name);
    if (sharing.length > 1 && env[name])
      throw new InputError(
        "hsm_pin_ambiguous",
        `${name} could be the PIN of the HSM tokens ${quoted(sharing)}: give their PINs with ${TOKEN_PIN_FLAG} TOKEN=FILE`,
      );
  }
}
