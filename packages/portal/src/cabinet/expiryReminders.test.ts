// Expiry reminders on both engines with an injected clock: 30, 14 and 7 days before notAfter,
// exactly one e-mail per threshold and certificate across repeated sweeps and a restart (a second
// portal on the same database), none for a revoked certificate, and a sweep that missed thresholds
// sends only the nearest one.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Portal } from "../portal.ts";
import { MailCatcher } from "../mail/mailTransport.ts";
import {
  DEMO_PERSONS,
  PERSON,
  startTestPortal,
  submitApplication,
  temporaryDirectory,
  testDatabases,
  type TestPortal,
} from "../testSupport.ts";

const DAY = 86_400_000;
const CENTER = "astana.esil.rc";

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`expiry reminders on ${database.engine}`, () => {
    const work = temporaryDirectory("qoltanba-reminders-");
    let env: TestPortal;

    before(async () => {
      env = await startTestPortal(database);
    });
    after(() => env?.close());

    const issued = async (iin: string) => {
      const { number } = await submitApplication(env.portal, iin, CENTER, work);
      await env.portal.lifecycle.confirmApplication(number, "test");
      const application = (await env.portal.store.application(number))!;
      const notAfter = (await env.portal.ca.certificate(application.authSerial!))!.notAfter;
      return { application, notAfter };
    };
    const reminders = async (portal: Portal, number: string) =>
      (await portal.store.outbox(number))
        .filter((message) => message.kind.startsWith("expiry"))
        .map((message) => `${message.kind}:${message.outcome ?? "waiting"}`)
        .sort();
    const sent = (to: string) =>
      (env.portal.mail as MailCatcher).messages.filter(
        (message) => message.to === to && message.subject.includes("expires"),
      );

    test("30, 14 and 7 days before: one e-mail per threshold per certificate, across sweeps and a restart", async () => {
      const person = await issued(PERSON.iin);
      const revoked = await issued("850702400128");
      await env.portal.ca.revoke(revoked.application.signSerial!, "keyCompromise");
      const at = (days: number) => new Date(person.notAfter.getTime() - days * DAY);

      assert.deepEqual(await env.portal.reminders.run(at(31)), { copied: 4, queued: 0 });
      assert.deepEqual(await env.portal.reminders.run(at(29.5)), { copied: 0, queued: 3 });
      assert.deepEqual(await env.portal.reminders.run(at(29)), { copied: 0, queued: 0 });
      await env.portal.outbox.runOnce(at(29));
      assert.deepEqual(await reminders(env.portal, person.application.number), [
        "expiry30:sent",
        "expiry30:sent",
      ]);
      assert.deepEqual(await reminders(env.portal, revoked.application.number), [
        "expiry30:revoked",
        "expiry30:sent",
      ]);
      const mail = sent(`${PERSON.iin}@example.kz`)[0]!;
      assert.equal(mail.subject, "Your certificate expires in 30 days");
      assert.match(mail.text, /Dear ТЕСТ ТЕСТОВИЧ,/);
      assert.match(
        mail.text,
        new RegExp(`serial number (${person.application.authSerial}|${person.application.signSerial})`),
      );

      // A restart: another portal process on the same database sweeps at the same moment, then later.
      const restarted = await Portal.open({
        ca: env.portal.ca,
        databaseUrl: database.url ?? "sqlite:portal.sqlite",
        baseDir: env.dir,
        registry: { kind: "embedded", file: DEMO_PERSONS },
      });
      try {
        assert.deepEqual(await restarted.reminders.run(at(29)), { copied: 0, queued: 0 });
        assert.deepEqual(await restarted.reminders.run(at(13.5)), { copied: 0, queued: 3 });
      } finally {
        await restarted.close();
      }
      assert.deepEqual(await env.portal.reminders.run(at(13.5)), { copied: 0, queued: 0 });
      assert.deepEqual(await env.portal.reminders.run(at(6.5)), { copied: 0, queued: 3 });
      assert.deepEqual(await env.portal.reminders.run(at(6)), { copied: 0, queued: 0 });
      await env.portal.outbox.runOnce(at(6));
      assert.deepEqual(await reminders(env.portal, person.application.number), [
        "expiry14:sent",
        "expiry14:sent",
        "expiry30:sent",
        "expiry30:sent",
        "expiry7:sent",
        "expiry7:sent",
      ]);
      const personMail = sent(`${PERSON.iin}@example.kz`);
      assert.deepEqual(personMail.map((message) => message.subject).sort(), [
        "Your certificate expires in 14 days",
        "Your certificate expires in 14 days",
        "Your certificate expires in 30 days",
        "Your certificate expires in 30 days",
        "Your certificate expires in 7 days",
        "Your certificate expires in 7 days",
      ]);
      // After notAfter nothing more; an expired certificate is out of the window.
      assert.deepEqual(await env.portal.reminders.run(new Date(person.notAfter.getTime() + DAY)), {
        copied: 0,
        queued: 0,
      });
    });

    test("a sweep that missed thresholds sends the nearest only; a renewed person gets none", async () => {
      const late = await issued("650509300448");
      const at = new Date(late.notAfter.getTime() - 10 * DAY);
      // (Certificates of the test before are in this window too: only this application's rows count.)
      assert.equal((await env.portal.reminders.run(at)).copied, 2);
      assert.deepEqual(await reminders(env.portal, late.application.number), [
        "expiry14:waiting",
        "expiry14:waiting",
        "expiry30:passed",
        "expiry30:passed",
      ]);
      const renewedFirst = await issued("930917402309");
      await issued("930917402309");
      assert.equal(
        (await env.portal.reminders.run(new Date(renewedFirst.notAfter.getTime() - 20 * DAY))).copied,
        4,
      );
      assert.deepEqual(await reminders(env.portal, renewedFirst.application.number), []);
    });

    // A hang would be the bug (the sweep once re-read the same full batch for ever): the limit stops it.
    test("issued applications whose certificates the CA does not hold, more than a batch of them, do not stall the sweep", { timeout: 120_000 }, async () => {
      const template = await env.portal.store.db
        .selectFrom("applications")
        .selectAll()
        .where("status", "=", "issued")
        .orderBy("issued_at", "desc")
        .limit(1)
        .executeTakeFirstOrThrow();
      // Set-up only: applications recorded as issued whose serials the CA never issued (a CA restored from an older backup).
      const unknown = Array.from({ length: 1_001 }, (_, index) => ({
        ...template,
        number: `UNKNOWN-${String(index).padStart(4, "0")}`,
        auth_serial: `7f${String(index).padStart(30, "0")}`,
        sign_serial: `7e${String(index).padStart(30, "0")}`,
        auth_spki_sha256: `a${String(index).padStart(63, "0")}`,
        sign_spki_sha256: `b${String(index).padStart(63, "0")}`,
      }));
      for (let start = 0; start < unknown.length; start += 100)
        await env.portal.store.db.insertInto("applications").values(unknown.slice(start, start + 100)).execute();
      const later = await issued("580819300616");
      const at = new Date(later.notAfter.getTime() - 20 * DAY);
      assert.equal((await env.portal.reminders.run(at)).copied, 2);
      assert.deepEqual(await reminders(env.portal, later.application.number), ["expiry30:waiting", "expiry30:waiting"]);
    });
  });
}
