/** The portal's own tables. Times are ISO-8601 UTC text, as in the CA's tables, so both engines compare them alike. */

export type ApplicationStatus = "submitted" | "confirmed" | "issued" | "installed" | "rejected" | "expired";

export interface ApplicationsTable {
  number: string;
  status: ApplicationStatus;
  /** Personal data: null once purged. */
  iin: string | null;
  surname: string | null;
  given_name: string | null;
  patronymic: string | null;
  email: string | null;
  language: string;
  region: string;
  locality: string;
  center: string;
  storage: string;
  auth_spki_sha256: string | null;
  sign_spki_sha256: string | null;
  /** SHA-256 of the receipt cookie that lets the submitting browser download the form. */
  receipt_hash: string | null;
  submitted_at: string;
  deadline_at: string;
  confirmed_at: string | null;
  /** Set while a process issues the certificates of a confirmed application (see migration 0002). */
  issuance_claimed_at: string | null;
  issued_at: string | null;
  installed_at: string | null;
  /** When it was rejected or expired: the retention period runs from here. */
  closed_at: string | null;
  purged_at: string | null;
  operator: string | null;
  rejection_reason: string | null;
  auth_serial: string | null;
  sign_serial: string | null;
}

/** The CSRs of an application waiting for its certificates: kept apart so the hot rows stay small, deleted once issued or closed. */
export interface ApplicationCsrsTable {
  number: string;
  auth_csr: string;
  sign_csr: string;
}

export interface PersonsTable {
  iin: string;
  surname: string;
  given_name: string;
  patronymic: string | null;
}

export type CaptchaState = "new" | "taken" | "checked" | "used";

export interface CaptchasTable {
  id: string;
  answer: string;
  state: CaptchaState;
  expires_at: string;
  /** Set when the IIN check passed: the submission must be for this IIN and this number. */
  iin: string | null;
  application_number: string | null;
}

export type MailKind = "submitted" | "issued" | "rejected" | "expired" | ReminderKind;

/** An expiry reminder, N days before the certificate's notAfter. */
export type ReminderKind = "expiry30" | "expiry14" | "expiry7";

export interface OutboxTable {
  id: number;
  application_number: string;
  kind: MailKind;
  recipient: string;
  language: string;
  created_at: string;
  attempts: number;
  next_attempt_at: string;
  /** A worker's lease: another worker leaves the message alone until then. */
  claimed_until: string | null;
  sent_at: string | null;
  /** "sent" or "dropped" (the application's personal data was purged before it could be sent). */
  outcome: string | null;
  last_error: string | null;
  /** Expiry reminders: the certificate; with `kind`, unique (one reminder per certificate and threshold). */
  certificate_serial: string | null;
}

export interface CountersTable {
  name: string;
  value: number;
}

/** Everyone who got certificates through the portal: the user counters count first issues. */
export interface UsersTable {
  iin: string;
  kind: string;
  first_issued_at: string;
}

/** Hex-encoded random secrets shared by every node (see PortalStore.sharedSecret). */
export interface SecretsTable {
  name: string;
  value: string;
}

/** A single-use server nonce for a signed login or decision; `used_at` is set when it is spent. */
export interface SignChallengesTable {
  nonce: string;
  /** Who may spend it: "login:<audience>" or "decision:<operator id>". */
  audience: string;
  /** SHA-256 (hex) of the exact document to be signed, for decisions; null for logins. */
  document_sha256: string | null;
  expires_at: string;
  used_at: string | null;
}

export type OperatorRole = "operator" | "supervisor" | "administrator" | "auditor";
export type OperatorStatus = "invited" | "active" | "disabled";

/** Registration Center staff: a role bound to the certificates issued through their enrolment link. */
export interface OperatorsTable {
  id: number;
  iin: string;
  role: OperatorRole;
  /** The Registration Center of an operator; the region of a supervisor; null for the others. */
  center: string | null;
  region: string | null;
  status: OperatorStatus;
  /** SHA-256 of the one-time enrolment link's secret; null once used. */
  enrolment_hash: string | null;
  enrolment_expires_at: string | null;
  application_number: string | null;
  auth_serial: string | null;
  sign_serial: string | null;
  created_at: string;
  created_by: string;
}

/** Which site a session or a signed action belongs to: the Registration Center console or the personal cabinet. */
export type Audience = "console" | "cabinet";

/** A login to the console (an operator's) or the cabinet (a person's); one audience's token opens nothing in the other. */
export interface SessionsTable {
  /** SHA-256 of the session cookie: the database never holds a usable session. */
  token_hash: string;
  audience: Audience;
  /** The console's operator; null in the cabinet. */
  operator_id: number | null;
  /** The cabinet's person; null in the console. */
  iin: string | null;
  /** The AUTH certificate the session was opened with. */
  serial: string;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
}

/** The identity document an operator checked before confirming (personal data: purged with the application). */
export interface IdentityChecksTable {
  application_number: string;
  document_type: string;
  document_number: string;
  checked_by: number;
  checked_at: string;
}

export type DecisionKind = "confirm" | "reject" | "revoke";

export type CabinetActionKind = "revoke" | "renew";

/**
 * What someone signed with their SIGN key before it took effect: an operator's decision in the
 * console, a person's revocation or renewal in the cabinet. The canonical document and the CMS
 * over it; `audit_seq` is its entry in the console log.
 */
export interface SignedActionsTable {
  id: number;
  audience: Audience;
  kind: DecisionKind | CabinetActionKind;
  application_number: string | null;
  certificate_serial: string | null;
  /** The operator who decided, in the console; null in the cabinet. */
  operator_id: number | null;
  signer_serial: string;
  document: string;
  /** Base64 DER of the attached CMS SignedData. */
  cms: string;
  at: string;
  /** "pending", "applied", or "failed: …" when the effect could not be carried out after it was recorded. */
  outcome: string;
  audit_seq: number;
}

/** The console's hash-chained log (the same chain rules as the CA's audit log). */
export interface ConsoleAuditTable {
  seq: number;
  at: string;
  action: string;
  details: string;
  prev_hash: string;
  hash: string;
}

/** An issued certificate's notAfter, copied from the CA for the expiry reminders. */
export interface CertificateExpiriesTable {
  serial: string;
  application_number: string;
  not_after: string;
}

/** How far the reminder sweep has read the issued applications (their issued_at). */
export interface ReminderProgressTable {
  name: string;
  issued_at: string;
}

export interface PortalDatabase {
  sessions: SessionsTable;
  signed_actions: SignedActionsTable;
  certificate_expiries: CertificateExpiriesTable;
  reminder_progress: ReminderProgressTable;
  sign_challenges: SignChallengesTable;
  operators: OperatorsTable;
  identity_checks: IdentityChecksTable;
  console_audit: ConsoleAuditTable;
  applications: ApplicationsTable;
  application_csrs: ApplicationCsrsTable;
  persons: PersonsTable;
  captchas: CaptchasTable;
  outbox: OutboxTable;
  counters: CountersTable;
  portal_users: UsersTable;
  portal_secrets: SecretsTable;
}
