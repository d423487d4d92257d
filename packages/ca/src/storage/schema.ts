/** Times are ISO-8601 UTC strings with milliseconds: the same text sorts and compares on both engines. */
export interface CertificatesTable {
  serial: string; // lowercase hex, unique
  profile: string;
  owner: string;
  spki_sha256: string;
  not_before: string;
  not_after: string;
  issued_at: string;
  der: Buffer;
  revoked_at: string | null;
  revocation_reason: string | null;
  invalidity_date: string | null;
  revocation_seq: number | null;
}

export interface PublicKeysTable {
  spki_sha256: string;
  owner: string;
  first_serial: string;
}

export interface AuditLogTable {
  seq: number;
  at: string;
  action: string;
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface CrlsTable {
  number: number;
  kind: "full" | "delta";
  base_number: number | null;
  this_update: string;
  next_update: string;
  revocation_mark: number;
  entry_count: number;
  byte_length: number;
  sha256: string;
}

export interface CrlPartsTable {
  number: number;
  part: number;
  bytes: Buffer;
}

export interface TsaTokensTable {
  serial: string; // lowercase hex of the serial's magnitude
  gen_time: string;
  policy: string;
  hash_algorithm: string;
  message_imprint: string; // lowercase hex
  audit_seq: number | null;
}

export interface Database {
  certificates: CertificatesTable;
  public_keys: PublicKeysTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  crls: CrlsTable;
  crl_parts: CrlPartsTable;
  tsa_tokens: TsaTokensTable;
}
