/**
 * Canonical JSON for signed documents: object keys sorted by code point, no whitespace, strings and
 * integers only (no floats, whose text forms differ). The same value always gives the same bytes,
 * so a signature made over them can be checked against a document rebuilt from the database.
 */
export type CanonicalValue =
  string | number | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue };

export function canonicalJson(value: CanonicalValue): string {
  if (typeof value === "number" && !Number.isSafeInteger(value))
    throw new Error("canonical JSON holds integers only");
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(",")}}`;
}

/** Parses text that must be canonical JSON: anything else (reordered keys, spaces) is refused. */
export function parseCanonicalJson(text: string): { [key: string]: CanonicalValue } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  try {
    return canonicalJson(value as CanonicalValue) === text
      ? (value as { [key: string]: CanonicalValue })
      : undefined;
  } catch {
    return undefined;
  }
}
