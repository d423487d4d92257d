import { InputError, type SigningKey } from "@qoltanba/pki";

/** The CA's keys, by role. The root signs only the issuing CA certificate and the root CRL. */
export type CaKeyName = "root" | "issuing" | "ocsp" | "tsa";
export const CA_KEY_NAMES: readonly CaKeyName[] = ["root", "issuing", "ocsp", "tsa"];

/**
 * Signs bytes with a named CA key, held in key files or in a PKCS#11 HSM: callers never see the
 * private key, only this interface.
 */
export interface CaSigner {
  key(name: CaKeyName): SigningKey;
  /** Releases what the signer holds open (the HSM's sessions). */
  close?(): Promise<void>;
}

/** A node asked for a key its role was not given (its key file, or its HSM token's PIN). */
export const keyNotOnThisNode = (name: CaKeyName, why: string) =>
  new InputError("key_not_on_node", `the CA's ${name} key is not on this node (${why})`);
