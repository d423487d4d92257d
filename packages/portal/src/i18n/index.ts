import type { Language } from "../locality/regions.ts";
import { en } from "./en.ts";
import { kk, type Messages } from "./kk.ts";
import { ru } from "./ru.ts";

export type { Messages } from "./kk.ts";
export type { Language } from "../locality/regions.ts";

export const LANGUAGES: readonly Language[] = ["kk", "ru", "en"];
export const DEFAULT_LANGUAGE: Language = "kk";
const CATALOGS: Record<Language, Messages> = { kk, ru, en };

export const isLanguage = (value: unknown): value is Language =>
  typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);

export function messages(language: Language): Messages {
  return CATALOGS[language];
}

/** Fills {name} placeholders. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => values[name] ?? match);
}

/** The message for an error code, falling back to a generic one. */
export function errorMessage(language: Language, code: string): string {
  const catalog = CATALOGS[language] as Record<string, string>;
  return catalog[`err_${code}`] ?? catalog.err_generic!;
}

const DATE_FORMAT = new Intl.DateTimeFormat("ru-RU", {
  timeZone: "Asia/Almaty",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
});

const HOUR_MILLISECONDS = 3_600_000;
/** Intl's formatting costs microseconds, and a status page shows two dates. */
const datesByHour = new Map<number, string>();

/** Dates as people in Kazakhstan write them: 25.11.2026 (Asia/Almaty). */
export function formatDate(date: Date): string {
  // Almaty's offsets have been whole hours since 1924, so every instant of one UTC hour has one date there.
  const hour = Math.floor(date.getTime() / HOUR_MILLISECONDS);
  let text = datesByHour.get(hour);
  if (text === undefined) {
    if (datesByHour.size >= 100_000) datesByHour.clear();
    text = DATE_FORMAT.format(date);
    datesByHour.set(hour, text);
  }
  return text;
}
