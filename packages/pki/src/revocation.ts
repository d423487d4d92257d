import { InputError } from "./errors.ts";

/** RFC 5280 CRLReason codes (5.3.1); 7 is not used. OCSP's RevokedInfo uses the same values. */
export const REVOCATION_REASON_CODES = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASON_CODES;

const REASON_NAMES = Object.keys(REVOCATION_REASON_CODES) as RevocationReason[];
const REASON_BY_CODE: ReadonlyMap<number, RevocationReason> = new Map(
  REASON_NAMES.map((name) => [REVOCATION_REASON_CODES[name], name]),
);

export function parseRevocationReason(name: string): RevocationReason {
  if (Object.hasOwn(REVOCATION_REASON_CODES, name)) return name as RevocationReason;
  throw new InputError(
    "bad_revocation_reason",
    `unknown revocation reason ${JSON.stringify(name)}; valid reasons: ${REASON_NAMES.join(", ")}`,
  );
}

export function revocationReasonByCode(code: number): RevocationReason {
  const reason = REASON_BY_CODE.get(code);
  if (reason === undefined) throw new InputError("bad_revocation_reason", `unknown CRLReason code ${code}`);
  return reason;
}
