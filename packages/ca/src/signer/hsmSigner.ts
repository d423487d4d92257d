import { InputError } from "@qoltanba/pki";
import { hsmTokens, keysOnToken, ONLINE_KEYS, type HsmConfig, type OnlineKeyName } from "./hsmConfig.ts";
import { openPkcs11Signer, type Pkcs11Signer } from "./pkcs11Signer.ts";
import { keyNotOnThisNode, type CaKeyName, type CaSigner } from "./signer.ts";

/** HSM user PINs by token label: a node holds those of the tokens its role needs. */
export type TokenPins = ReadonlyMap<string, string>;

/** The online keys whose token this node has a PIN for. */
export const keysUnlockedBy = (hsm: HsmConfig, pins: TokenPins): OnlineKeyName[] =>
  ONLINE_KEYS.filter((name) => pins.has(hsm.keys[name].token));

/**
 * Logs in to each token of the CA's HSM layout that `pins` has a PIN for (and to no other), and
 * signs with the online keys on them; the others are not on this node. A token that is absent or
 * refuses its PIN fails the whole opening, naming the token.
 */
export async function openHsmSigner(hsm: HsmConfig, pins: TokenPins, sessions?: number): Promise<CaSigner> {
  const tokens = hsmTokens(hsm);
  for (const token of pins.keys()) {
    if (!tokens.includes(token))
      throw new InputError(
        "hsm_unknown_token",
        `a PIN was given for the HSM token "${token}", which ca.json does not name (its tokens: ${tokens.join(", ")})`,
      );
  }
  const opened: Pkcs11Signer[] = [];
  const byKey = new Map<CaKeyName, Pkcs11Signer>();
  try {
    for (const token of tokens) {
      const pin = pins.get(token);
      if (pin === undefined) continue;
      const online = Object.fromEntries(
        Object.entries(keysOnToken(hsm, token)).filter(([name]) => name !== "root"),
      );
      const signer = await openPkcs11Signer(
        { module: hsm.module, slotLabel: token, pin, ...(sessions ? { sessions } : {}) },
        online,
      );
      opened.push(signer);
      for (const name of Object.keys(online) as CaKeyName[]) byKey.set(name, signer);
    }
  } catch (error) {
    for (const signer of opened) await signer.close?.();
    throw error;
  }
  return {
    key(name) {
      const signer = byKey.get(name);
      if (!signer) {
        const place = name === "root" ? hsm.keys.root : hsm.keys[name];
        throw keyNotOnThisNode(
          name,
          place ? `no PIN for its HSM token "${place.token}"` : "it is not on the HSM",
        );
      }
      return signer.key(name);
    },
    close: async () => {
      for (const signer of opened) await signer.close?.();
    },
  };
}
