import { InputError } from "@qoltanba/pki";
import type { CaKeyName } from "./signer.ts";

/** The keys a node signs with day to day; the root is offline, or used on the HSM only at init. */
export type OnlineKeyName = Exclude<CaKeyName, "root">;
export const ONLINE_KEYS: readonly OnlineKeyName[] = ["issuing", "ocsp", "tsa"];

/** Where one CA key lives: the token (its label, as `pkcs11-tool --list-slots` shows it) and the key's CKA_LABEL on it. */
export interface HsmKeyPlace {
  readonly token: string;
  readonly label: string;
}

/**
 * ca.json's `hsm`: the PKCS#11 module and, per key, its token. The PINs are never stored: a node is
 * given the PINs of the tokens its role needs (the issuing key's token only to the signers).
 */
export interface HsmConfig {
  readonly module: string;
  readonly keys: Readonly<Record<OnlineKeyName, HsmKeyPlace>> & { readonly root?: HsmKeyPlace };
}

/** The tokens the CA's keys are on, each once, in the order of the keys. */
export function hsmTokens(hsm: HsmConfig): string[] {
  return [...new Set(Object.values(hsm.keys).map((place: HsmKeyPlace) => place.token))];
}

/** The keys kept on `token`, by name. */
export function keysOnToken(hsm: HsmConfig, token: string): Partial<Record<CaKeyName, string>> {
  const entries = Object.entries(hsm.keys) as Array<[CaKeyName, HsmKeyPlace]>;
  return Object.fromEntries(
    entries.filter(([, place]) => place.token === token).map(([name, place]) => [name, place.label]),
  );
}

const isText = (value: unknown): value is string => typeof value === "string" && value !== "";
const isPlace = (value: unknown): value is HsmKeyPlace =>
  typeof value === "object" &&
  value !== null &&
  isText((value as HsmKeyPlace).token) &&
  isText((value as HsmKeyPlace).label);

/**
 * Reads ca.json's `hsm`: `{module, keys: {issuing: {token, label}, …}}`, or the single-token form
 * written before keys could live on several tokens, `{module, slotLabel, keyLabels}`, which means
 * every key on `slotLabel`.
 */
export function parseHsmConfig(raw: unknown, path: string): HsmConfig {
  const hsm = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const invalid = () =>
    new InputError(
      "bad_ca_config",
      `${path}: "hsm" needs module and keys {issuing, ocsp, tsa} of {token, label} each (or the single-token slotLabel and keyLabels)`,
    );
  if (!isText(hsm.module)) throw invalid();
  const keys = hsm.keys ?? singleTokenKeys(hsm.slotLabel, hsm.keyLabels);
  if (typeof keys !== "object" || keys === null) throw invalid();
  const places = keys as Record<string, unknown>;
  if (
    !ONLINE_KEYS.every((name) => isPlace(places[name])) ||
    (places.root !== undefined && !isPlace(places.root))
  )
    throw invalid();
  const place = (value: unknown) => ({
    token: (value as HsmKeyPlace).token,
    label: (value as HsmKeyPlace).label,
  });
  return {
    module: hsm.module,
    keys: {
      issuing: place(places.issuing),
      ocsp: place(places.ocsp),
      tsa: place(places.tsa),
      ...(places.root === undefined ? {} : { root: place(places.root) }),
    },
  };
}

function singleTokenKeys(slotLabel: unknown, keyLabels: unknown): unknown {
  if (!isText(slotLabel) || typeof keyLabels !== "object" || keyLabels === null) return undefined;
  return Object.fromEntries(
    Object.entries(keyLabels).map(([name, label]) => [name, { token: slotLabel, label }]),
  );
}
