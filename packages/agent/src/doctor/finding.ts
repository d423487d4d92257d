/** One result of a doctor check: fine, something to fix (with how), or a hint worth knowing. */
export interface Finding {
  readonly status: "ok" | "problem" | "hint";
  readonly title: string;
  readonly fix?: string;
}
