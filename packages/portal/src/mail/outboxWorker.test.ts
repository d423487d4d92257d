import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  Browser,
  captchaAnswer,
  csrPair,
  Inbox,
  PERSON,
  startTestPortal,
  temporaryDirectory,
  testDatabases,
  type TestPortal,
} from "../testSupport.ts";

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`e-mail on ${database.engine}`, () => {
    const inbox = new Inbox();
    let env: TestPortal;
    before(async () => {
      await inbox.start();
      env = await startTestPortal(database, {
        // Poll rarely: the test drives each pass itself.
        mail: {
          smtpUrl: `smtp://127.0.0.1:${inbox.port}`,
          from: "Qoltanba <noreply@qoltanba.test>",
          worker: { pollMilliseconds: 3_600_000, backoffMilliseconds: 1000 },
        },
      });
    });
    after(async () => {
      await env.close();
      await inbox.stop();
    });

    async function submit(language: "kk" | "ru", email: string): Promise<string> {
      const browser = new Browser(env.url);
      await browser.page(`/lang/${language}?back=/individuals`);
      const identity = await browser.post("/apply", { agree: "yes" });
      const { id, answer } = await captchaAnswer(env.portal, identity.text);
      await browser.post("/apply/identity", { captchaId: id, captcha: answer, iin: PERSON.iin });
      const csrs = csrPair();
      const response = await browser.request("/apply/submit", {
        method: "POST",
        headers: { "x-csrf-token": browser.csrfToken },
        json: {
          iin: PERSON.iin,
          email,
          emailRepeat: email,
          region: "astana",
          locality: "astana.esil",
          center: "astana.esil.rc",
          storage: "file",
          authCsr: csrs.auth,
          signCsr: csrs.sign,
        },
      });
      assert.equal(response.status, 200);
      return ((await response.json()) as { number: string }).number;
    }

    test("the submission e-mail arrives over SMTP in the person's language with the PDF form", async () => {
      const number = await submit("ru", "person@example.kz");
      // The submission kicked the worker: its pass sends at once.
      await env.portal.outbox.idle();
      assert.deepEqual(await env.portal.store.outbox(number), [
        { kind: "submitted", outcome: "sent", attempts: 0 },
      ]);
      const mail = inbox.messages.find((message) => message.subject?.includes(number.slice(0, 4)))!;
      assert.ok(mail, "the message arrived");
      assert.equal((mail.to as { text: string }).text, "person@example.kz");
      assert.match(mail.subject!, /^Заявка \d{4} \d{4} \d{4} \d{4} принята$/);
      assert.match(mail.text!, /Уважаемый\(ая\) ТЕСТ ТЕСТОВИЧ/);
      assert.match(mail.messageId!, new RegExp(`outbox-\\d+\\.${number}@qoltanba`));
      const attachment = mail.attachments.find((item) => item.contentType === "application/pdf")!;
      const path = join(temporaryDirectory(), "attached.pdf");
      writeFileSync(path, attachment.content);
      const text = execFileSync("pdftotext", [path, "-"]).toString();
      assert.match(text, /ЗАЯВЛЕНИЕ/);
      assert.match(text, /район Есиль, город Астана/);
      assert.equal((await env.portal.outbox.runOnce()).sent, 0, "nothing is sent twice");
    });

    test("an SMTP outage loses nothing: the message waits, is retried with backoff and sent once", async () => {
      await inbox.stop();
      const number = await submit("kk", "retry@example.kz");
      await env.portal.outbox.idle();
      assert.deepEqual(await env.portal.store.outbox(number), [
        { kind: "submitted", outcome: null, attempts: 1 },
      ]);
      await inbox.start(inbox.port);
      assert.equal((await env.portal.outbox.runOnce()).sent, 0, "not due before its backoff");
      const later = new Date(Date.now() + 60_000);
      assert.equal((await env.portal.outbox.runOnce(later)).sent, 1);
      assert.equal((await env.portal.outbox.runOnce(later)).sent, 0);
      const arrived = inbox.messages.filter(
        (message) => (message.to as { text: string }).text === "retry@example.kz",
      );
      assert.equal(arrived.length, 1);
      assert.match(arrived[0]!.subject!, /қабылданды$/);
      assert.deepEqual(await env.portal.store.outbox(number), [
        { kind: "submitted", outcome: "sent", attempts: 1 },
      ]);
      assert.equal(
        (await env.portal.outbox.runOnce(new Date(Date.now() + 86_400_000))).sent,
        0,
        "nothing is sent twice",
      );
    });

    test("issuance and rejection e-mails are written with the state change and sent", async () => {
      const issuedNumber = await submit("kk", "issued@example.kz");
      await env.portal.lifecycle.confirmApplication(issuedNumber, "operator-7");
      const rejectedNumber = await submit("ru", "rejected@example.kz");
      await env.portal.outbox.idle();
      await env.portal.lifecycle.rejectApplication(rejectedNumber, "operator-7", "документы не совпадают");
      await env.portal.outbox.runOnce(new Date(Date.now() + 3_600_000));
      const to = (address: string) =>
        inbox.messages
          .filter((message) => (message.to as { text: string }).text === address)
          .map((message) => message.subject);
      assert.equal(to("issued@example.kz").length, 2);
      assert.match(to("issued@example.kz")[1]!, /сертификаттар шығарылды/);
      assert.match(to("rejected@example.kz")[1]!, /отклонена/);
      const rejection = inbox.messages.find((message) => message.subject?.includes("отклонена"))!;
      assert.match(rejection.text!, /Причина: документы не совпадают/);
    });
  });
}
