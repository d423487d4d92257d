// Checking what a page sent before anything is done with it. A bad argument is an ArgumentError;
// the module turns it into its own error reply.

export class ArgumentError extends Error {
  override name = "ArgumentError";
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function stringArgument(value: unknown, what: string): string {
  if (typeof value !== "string") throw new ArgumentError(`${what} must be a string`);
  return value;
}

export function optionalString(value: unknown, what: string): string | undefined {
  return value === undefined || value === null ? undefined : stringArgument(value, what);
}

export function booleanArgument(value: unknown, what: string, fallback?: boolean): boolean {
  if ((value === undefined || value === null) && fallback !== undefined) return fallback;
  if (typeof value !== "boolean") throw new ArgumentError(`${what} must be true or false`);
  return value;
}

export function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new ArgumentError(`${what} must be a list of strings`);
  }
  return value;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 (whitespace and line breaks allowed, as some pages wrap it). */
export function base64Argument(value: unknown, what: string): Buffer {
  const text = stringArgument(value, what).replace(/\s+/g, "");
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw new ArgumentError(`${what} is not base64`);
  return Buffer.from(text, "base64");
}
