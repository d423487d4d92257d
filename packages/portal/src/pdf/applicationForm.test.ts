import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { messages, type Language } from "../i18n/index.ts";
import type { Application } from "../storage/portalStore.ts";
import { temporaryDirectory } from "../testSupport.ts";
import { applicationFormPdf } from "./applicationForm.ts";

const application: Application = {
  number: "4539148803436467",
  status: "submitted",
  person: { iin: "990425400091", surname: "ҚҰДАЙБЕРГЕНОВА", givenName: "ІҢКӘР", patronymic: "МҰРАТҚЫЗЫ" },
  language: "kk",
  region: "turkistan",
  locality: "turkistan.c-turkestan",
  center: "turkistan.c-turkestan.rc",
  storage: "kaztoken",
  authSpkiSha256: "0f".repeat(32),
  signSpkiSha256: "a5".repeat(32),
  submittedAt: new Date(Date.UTC(2026, 10, 25, 9)),
  deadlineAt: new Date(Date.UTC(2026, 11, 25, 9)),
};

test("forms made one after another in kk, ru and en keep every letter in their text (pdftotext)", async () => {
  const dir = temporaryDirectory();
  for (const language of ["kk", "ru", "en", "kk"] as Language[]) {
    const path = join(dir, `${language}.pdf`);
    writeFileSync(path, await applicationFormPdf(application, language));
    const text = execFileSync("pdftotext", [path, "-"]).toString();
    const t = messages(language);
    for (const label of [
      t.siteName,
      t.formTitle,
      t.formSubtitle,
      t.formCenter,
      t.formDeadlineNote,
      t.formDocuments.split(" ").slice(0, 4).join(" "),
    ]) {
      assert.ok(text.replace(/\s+/g, " ").includes(label), `${language}: ${label}`);
    }
    assert.match(text, /ҚҰДАЙБЕРГЕНОВА ІҢКӘР МҰРАТҚЫЗЫ/);
    assert.match(text, /4539 1488 0343 6467/);
    assert.match(text, /25\.12\.2026/);
    assert.match(text, /AKKaztokenStore/);
    assert.match(text.replace(/\s+/g, ""), /AUTH(0F:){15}0F(0F:){15}0FSIGN/);
  }
});
