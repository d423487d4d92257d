import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { errorMessage, LANGUAGES } from "../index.ts";
import { consoleErrorMessage, consoleMessages, formatDateTime } from "./index.ts";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

test("every console message has the same placeholders in Kazakh, Russian and English", () => {
  const kk = consoleMessages("kk");
  for (const language of LANGUAGES)
    for (const [key, text] of Object.entries(consoleMessages(language)))
      assert.deepEqual(placeholders(text), placeholders(kk[key as keyof typeof kk]), `${language} ${key}`);
});

test("the Kazakh and Russian console messages are Cyrillic: no English left untranslated", () => {
  for (const language of ["kk", "ru"] as const)
    for (const [key, text] of Object.entries(consoleMessages(language))) {
      const latin = text
        .replace(/\{\w+\}/g, "")
        .replace(/\b(AUTH|SIGN|SHA-256|Qoltanba)\b/g, "")
        .match(/[A-Za-z]+/g);
      assert.equal(latin, null, `${language} ${key}: ${text}`);
    }
});

test("the refusals the console can meet have the operator's words in every language", () => {
  // The codes thrown by the console's operations and by the signature checks they use; an
  // enrolment's IIN mismatch is shown by the application pages, not the console.
  const sources = [
    "../../console/roles.ts",
    "../../console/registrationConsole.ts",
    "../../console/decisions.ts",
    "../../console/operators.ts",
    "../../auth/certificateLogin.ts",
    "../../auth/preparedSignature.ts",
    "../../auth/signedDocument.ts",
  ].map((path) => readFileSync(new URL(path, import.meta.url), "utf8"));
  const codes = new Set(["forbidden", "no_session"]);
  for (const source of sources)
    for (const match of source.matchAll(/(?:InputError|SignatureRefused)\(\s*"([a-z_]+)"/g))
      codes.add(match[1]!);
  codes.delete("enrolment_iin");
  assert.ok(codes.size > 25, `only ${codes.size} codes found: the pattern no longer matches the sources`);
  for (const language of LANGUAGES)
    for (const code of codes)
      assert.notEqual(
        consoleErrorMessage(language, code),
        errorMessage(language, "generic"),
        `${language}: ${code} has only the generic message`,
      );
});

test("a refusal is the console's own words, else the portal's, else the generic one", () => {
  assert.equal(consoleErrorMessage("ru", "bad_iin"), consoleMessages("ru").err_bad_iin);
  assert.equal(consoleErrorMessage("kk", "nonce_used"), errorMessage("kk", "nonce_used"));
  assert.equal(consoleErrorMessage("en", "no_such_code"), errorMessage("en", "generic"));
});

test("console times are Kazakhstan's, before and after the move to UTC+5 in March 2024", () => {
  const kk = consoleMessages("kk");
  assert.equal(formatDateTime(kk, new Date("2026-11-25T18:59:59Z")), "25.11.2026 23:59");
  assert.equal(formatDateTime(kk, new Date("2026-11-25T19:00:00Z")), "26.11.2026 00:00");
  assert.equal(formatDateTime(kk, new Date("2023-05-01T18:00:00Z")), "02.05.2023 00:00");
  assert.equal(formatDateTime(consoleMessages("en"), new Date("2026-01-02T03:04:00Z")), "02.01.2026 08:04");
});
