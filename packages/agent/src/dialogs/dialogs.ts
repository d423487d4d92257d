// What the agent asks the person, in its own windows (never in the page). Every method resolves
// to undefined when the person cancels or closes the dialog.

export type OriginDecision = "once" | "always" | "deny";

/** What a document to be signed looks like to the person. */
export type DocumentPreview =
  | { kind: "text"; text: string; truncated: boolean }
  | { kind: "xml"; text: string; truncated: boolean }
  | { kind: "binary"; size: number; sha256: string }
  | { kind: "digest"; sha256: string };

/** Who asks for what: shown at the top of every dialog about a request. */
export interface RequestSummary {
  origin: string;
  /** A short sentence: "sign 2 documents (CMS, attached)". */
  operation: string;
  documents: DocumentPreview[];
}

/** A key as the person sees it when choosing. */
export interface KeyDescription {
  subject: string;
  issuer: string;
  serialNumber: string;
  validTo: string;
  /** SIGNATURE, AUTHENTICATION or both. */
  usage: string;
  /** The key file or token it is in. */
  location: string;
}

export interface PasswordQuestion {
  request: RequestSummary;
  /** The key file (or token) the password opens. */
  target: string;
  /** Set after a wrong password: how many failed in a row so far. */
  failedAttempts: number;
  /** A token's PIN rather than a key file's password. */
  pin?: boolean;
  /** Set after a wrong PIN: what the token says about the tries left. */
  warning?: string;
}

export interface NewPasswordQuestion {
  request: RequestSummary;
  folder: string;
  /** Set when the previous answer broke the rule; the dialog shows it. */
  problem?: string;
}

export interface Dialogs {
  approveOrigin(origin: string): Promise<OriginDecision | undefined>;
  /** A key file or a document to sign; `extensions` without dots. */
  chooseFile(question: {
    request: RequestSummary;
    title: string;
    extensions: string[];
    startDir?: string;
  }): Promise<string | undefined>;
  chooseFolder(question: {
    request: RequestSummary;
    title: string;
    startDir?: string;
  }): Promise<string | undefined>;
  /** Several stores could serve the request (a token is plugged in): which one. */
  chooseStorage(question: { request: RequestSummary; storages: string[] }): Promise<number | undefined>;
  askPassword(question: PasswordQuestion): Promise<string | undefined>;
  /** A password for new key containers; the dialog asks twice and returns it only when both match. */
  newPassword(question: NewPasswordQuestion): Promise<string | undefined>;
  /** The person confirms the request by choosing one of the keys (one key: confirming it). */
  chooseKey(question: { request: RequestSummary; keys: KeyDescription[] }): Promise<number | undefined>;
  /** Tells the person something went wrong (no answer expected). */
  inform(message: string): Promise<void>;
}
