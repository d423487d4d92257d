// The key-store layer: each store (a key file today, PKCS#11 tokens later) offers candidate keys
// with their certificates; the request's handler filters them, the person confirms one in the
// agent's dialog, and only then is the key unlocked and used.
import type { SigningKey } from "@qoltanba/pki";
import type { RequestSummary } from "../dialogs/dialogs.ts";
import type { CertificateFacts } from "./certificateFacts.ts";

export interface KeyCandidate {
  readonly facts: CertificateFacts;
  /** Certificates above it that the store holds, issuer first. */
  readonly chain: readonly Buffer[];
  readonly alias: string;
  /** The key file or token, for the person. */
  readonly location: string;
  /**
   * The key, ready to sign. A key file was opened with its password already; a token store
   * would ask for the PIN here. Undefined: the person cancelled.
   */
  unlock(request: RequestSummary): Promise<SigningKey | undefined>;
}

export interface KeyStore {
  /** The protocol's storage name (`PKCS12`, `AKKaztokenStore`, ...). */
  readonly name: string;
  /** Hardware stores are listed by getActiveTokens while their device is present. */
  readonly hardware: boolean;
  present(): Promise<boolean>;
  /** The keys on offer for this request; undefined when the person cancelled. */
  candidates(request: RequestSummary): Promise<KeyCandidate[] | undefined>;
}
