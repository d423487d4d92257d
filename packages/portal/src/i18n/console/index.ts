// The Registration Center console's words, apart from the public site's: operators read other
// things than applicants do. Same languages, same cookie; the language names and the agent's
// messages come from the portal's catalogs.
import { errorMessage, fill, type Language } from "../index.ts";
import { en } from "./en.ts";
import { kk, type ConsoleMessages } from "./kk.ts";
import { ru } from "./ru.ts";

export type { ConsoleMessages } from "./kk.ts";

const CATALOGS: Record<Language, ConsoleMessages> = { kk, ru, en };

export function consoleMessages(language: Language): ConsoleMessages {
  return CATALOGS[language];
}

/** An error code in the operator's words: the console's own, else the portal's (agent, CA, CSRF…), else a generic one. */
export function consoleErrorMessage(language: Language, code: string): string {
  return (CATALOGS[language] as Record<string, string>)[`err_${code}`] ?? errorMessage(language, code);
}

/** The catalog's word for `prefix_value` (a stored code: a document type, an outcome), or the code itself. */
export function wordFor(t: ConsoleMessages, prefix: string, value: string): string {
  return (t as Record<string, string>)[`${prefix}_${value}`] ?? value;
}

const PARTS = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Asia/Almaty",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** An instant in Kazakhstan time, written as the catalog's `dateTime` says. */
export function formatDateTime(t: ConsoleMessages, date: Date): string {
  const parts: Record<string, string> = {};
  for (const part of PARTS.formatToParts(date)) parts[part.type] = part.value;
  return fill(t.dateTime, parts);
}
