import { InputError, parseRevocationReason, serialHex, type RevocationReason } from "@qoltanba/pki";
import type { CertificateAuthority } from "./authority.ts";
import type { RevocationChange, RevocationState } from "./storage/certificateStore.ts";

/** The reasons a CA operator may give (RFC 5280 5.3.1); removeFromCRL releases a certificate from hold. */
export const OPERATOR_REVOCATION_REASONS: readonly RevocationReason[] = [
  "unspecified",
  "keyCompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  "removeFromCRL",
];

export interface RevocationRequest {
  /** Hex serial number, as printed by `ca issue` and openssl (colons and case are ignored). */
  readonly serial: string;
  readonly reason: string;
  readonly invalidityDate?: Date;
  readonly at?: Date;
}

export interface RevocationResult extends RevocationChange {
  readonly serial: string;
  /** The audit sequence number of this change: delta CRLs after it include it. */
  readonly seq: number;
}

/** Listeners told after each committed revocation change (CRL and OCSP caches refresh on it). */
export type RevocationListener = (result: RevocationResult) => void;

/** Reads a serial as people and openssl write it (hex, colons and case ignored) into the stored form. */
export function parseSerialHex(serial: string): string {
  const hex = serial.replace(/[:\s]/g, "").toLowerCase().replace(/^0x/, "");
  if (!/^[0-9a-f]{1,42}$/.test(hex)) throw new InputError("bad_serial", `serial ${JSON.stringify(serial)} is not a hexadecimal serial number`);
  return serialHex(Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, "hex"));
}

/** The state machine of RFC 5280 revocation with holds: what may follow what. */
function decide(current: RevocationState, reason: RevocationReason, at: Date, invalidityDate: Date | undefined): RevocationChange {
  const revokedNow = current.revokedAt !== undefined && current.reason !== "removeFromCRL";
  const onHold = revokedNow && current.reason === "certificateHold";
  if (reason === "removeFromCRL") {
    if (!onHold) throw new InputError("not_on_hold", "removeFromCRL releases a certificate on hold, and this one is not on hold");
    return { reason, revokedAt: at };
  }
  if (onHold && reason === "certificateHold") throw new InputError("already_revoked", "the certificate is already on hold");
  if (revokedNow && !onHold) {
    throw new InputError("already_revoked", `the certificate was already revoked at ${current.revokedAt!.toISOString()} (${current.reason})`);
  }
  return { reason, revokedAt: onHold ? current.revokedAt! : at, ...(invalidityDate ? { invalidityDate } : {}) };
}

/**
 * Revokes a certificate (or puts it on hold, or releases a hold): checks the reason and the
 * current state, records the change with its audit entry in one transaction. Revoking twice is an
 * error that changes nothing.
 */
export async function revokeCertificate(
  ca: CertificateAuthority,
  request: RevocationRequest,
  listeners: readonly RevocationListener[] = [],
): Promise<RevocationResult> {
  const reason = parseRevocationReason(request.reason);
  if (!OPERATOR_REVOCATION_REASONS.includes(reason)) {
    throw new InputError("bad_revocation_reason", `reason ${reason} is not used by this CA; use one of ${OPERATOR_REVOCATION_REASONS.join(", ")}`);
  }
  const at = request.at ?? new Date();
  if (request.invalidityDate && request.invalidityDate > at) {
    throw new InputError("bad_invalidity_date", "the invalidity date cannot be in the future");
  }
  const serial = parseSerialHex(request.serial);
  const { seq, change } = await ca.store.changeRevocation(serial, (current) => decide(current, reason, at, request.invalidityDate));
  const result = { serial, seq, ...change };
  for (const listener of listeners) listener(result);
  return result;
}
