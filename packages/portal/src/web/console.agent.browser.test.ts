// The Registration Center step in headless Chromium with the real agent in unattended mode: the
// operator enrols through their link and installs their keys, signs in with the AUTH key, searches,
// checks the identity document, confirms (signed with the SIGN key) → issued → e-mail; rejects;
// revokes → `openssl ocsp` says revoked. Screenshots go to test-artifacts/portal/console-*.png.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { verifyAuditChain } from "@qoltanba/ca";
import {
  captchaAnswer,
  PERSON,
  submitApplication,
  temporaryDirectory,
  testDatabases,
  type TestPortal,
  Inbox,
  opensslOcsp,
} from "../testSupport.ts";
import { portalInChromium, type PortalInChromium, desktopPage, screenshots } from "./browserTestSupport.ts";

const KEY_PASSWORD = "Console2026";
const OPERATOR_IIN = "781123301050";
const CENTER = "astana.esil.rc";

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`the Registration Center console in Chromium with the agent, on ${database.engine}`, () => {
    const work = temporaryDirectory("qoltanba-console-agent-");
    const keyDir = join(work, "keys");
    const inbox = new Inbox();
    let env: TestPortal;
    let portal: PortalInChromium;

    before(async () => {
      mkdirSync(keyDir, { recursive: true });
      await inbox.start();
      portal = await portalInChromium(database, work, inbox);
      env = portal.env;
      await portal.startAgent({
        home: join(work, "agent-home"),
        unattended: { origins: [env.url], keyDir, keyPassword: KEY_PASSWORD },
      });
    });
    after(async () => {
      await portal?.close();
      await inbox.stop();
    });

    const shot = screenshots("portal", `console-${database.engine}`);

    test("enrol, sign in, search, confirm → issued → e-mail, reject, revoke → OCSP revoked", async () => {
      const { context, page, problems } = await desktopPage(portal.browser);

      // The operator's enrolment: the link, the portal's application with agent-made keys, installed.
      const { link } = await env.portal.console.operators.add({
        iin: OPERATOR_IIN,
        role: "operator",
        center: CENTER,
        createdBy: "cli",
        baseUrl: env.url,
      });
      await page.goto(link);
      await page.waitForURL(/\/apply$/);
      await page.getByLabel("Келісімді оқыдым және келісемін").check();
      await page.getByRole("button", { name: "Растау" }).click();
      await page.waitForURL(/\/apply\/identity$/);
      const { answer } = await captchaAnswer(env.portal, await page.content());
      await page.getByLabel("Суреттегі код").fill(answer);
      await page.locator("#iin").fill(OPERATOR_IIN);
      await page.getByRole("button", { name: "ЖСН тексеру" }).click();
      await page.waitForURL(/\/apply\/details$/);
      await page.locator("#agent-status.success").waitFor();
      await page.selectOption("#region", "astana");
      await page.selectOption("#locality", "astana.esil");
      await page.getByRole("button", { name: "Өтінім беру" }).click();
      await page.waitForURL(/\/apply\/done$/);
      const operatorNumber = (await page.locator("#application-number").textContent())!.replace(/\s/g, "");
      await page.getByRole("link", { name: "Берілген өтінімнің мәртебесі" }).first().click();
      await page.getByLabel("Өтінім нөмірі").fill(operatorNumber);
      await page.locator("#iin").fill(OPERATOR_IIN);
      await page.getByRole("button", { name: "Іздеу" }).click();
      await page.locator('#application-status[data-status="issued"]').waitFor();
      await page.getByRole("button", { name: "Сертификаттарды жүктеу" }).click();
      await page.locator("#agent-status.success").waitFor({ timeout: 30_000 });

      // The person's applications (keys by OpenSSL) wait in the operator's center.
      const { number } = await submitApplication(env.portal, PERSON.iin, CENTER, work);
      const rejected = await submitApplication(env.portal, "821201303182", CENTER, work);

      // Sign in with the AUTH key through the agent.
      await page.goto(`${env.url}/console`);
      await shot(page, "01-login");
      await page.locator("#console-login").click();
      await page.waitForURL(/\/console\/queue$/);
      assert.equal(await page.locator("html").getAttribute("lang"), "kk");
      assert.equal(await page.locator("#signed-in").getAttribute("data-role"), "operator");
      assert.match(
        (await page.locator("#signed-in").textContent())!,
        new RegExp(`Оператор\\s+${OPERATOR_IIN}`),
      );

      // Search by IIN, open, record the identity check, confirm with the SIGN key.
      await page.locator("#q-iin").fill(PERSON.iin);
      await page.locator("#search").click();
      await page.locator(`#queue tr[data-number="${number}"]`).waitFor();
      await shot(page, "02-search");
      await page.locator(`#queue tr[data-number="${number}"] button`).click();
      await page.locator(`#application[data-number="${number}"]`).waitFor();
      // The application was shown by a POST: switching to Russian posts it again (307) and it comes back.
      await page.locator('.languages button[lang="ru"]').click();
      await page.locator('html[lang="ru"]').waitFor();
      await page.locator(`#application[data-number="${number}"]`).waitFor();
      await page.getByRole("heading", { name: `Заявка ${number}` }).waitFor();
      const fingerprint = (await page.locator("#fingerprint-auth").textContent())!;
      assert.match(fingerprint, /^([0-9A-F]{2}:){15}[0-9A-F]{2}\n([0-9A-F]{2}:){15}[0-9A-F]{2}$/);
      await page.locator("#document-number").fill("043123456");
      await page.locator("#identity-save").click();
      await page.locator("#identity-checked").waitFor();
      await shot(page, "03-application");
      await page.locator("#confirm").click();
      await page.locator('#application[data-status="issued"]').waitFor({ timeout: 30_000 });
      await shot(page, "04-issued");
      await env.portal.outbox.idle();
      const outbox = await env.portal.store.outbox(number);
      assert.deepEqual(
        outbox.map((message) => [message.kind, message.outcome]),
        [
          ["submitted", "sent"],
          ["issued", "sent"],
        ],
      );
      assert.equal(
        inbox.messages.filter((message) => JSON.stringify(message.to).includes(`${PERSON.iin}@example.kz`))
          .length,
        2,
        "the issued e-mail arrived",
      );

      // Reject the other application with a reason.
      await page.goto(`${env.url}/console/queue`);
      await page.locator(`#queue tr[data-number="${rejected.number}"] button`).click();
      await page.locator("#reject-reason").fill("the passport photo did not match");
      await page.locator("#reject").click();
      await page.locator('#application[data-status="rejected"]').waitFor({ timeout: 30_000 });
      assert.equal(
        (await env.portal.store.application(rejected.number))!.rejectionReason,
        "the passport photo did not match",
      );

      // Revoke the person's SIGN certificate on their written request; OCSP says revoked.
      await page.goto(`${env.url}/console/queue`);
      await page.locator(`#queue tr[data-number="${number}"] button`).click();
      const issued = (await env.portal.store.application(number))!;
      await page.selectOption("#revoke-certificate", issued.signSerial!);
      await page.selectOption("#revoke-reason", "keyCompromise");
      await page.locator("#revoke-request").fill("request 2026/17");
      await page.locator("#revoke").click();
      await page
        .locator('.decisions tr[data-kind="revoke"]', { hasText: "Отзыв" })
        .waitFor({ timeout: 30_000 });
      await shot(page, "05-revoked");
      const answerText = await opensslOcsp(env, issued.signSerial!, /: revoked/, work);
      assert.match(answerText, /: revoked/);

      // Log out: the console is closed again.
      await page.locator("#logout").click();
      await page.waitForURL(/\/console$/);
      await page.goto(`${env.url}/console/queue`);
      await page.waitForURL(/\/console$/);

      const decisions = await env.portal.signedActions.list("console", { limit: 10 });
      assert.deepEqual(decisions.map((decision) => decision.kind).sort(), ["confirm", "reject", "revoke"]);
      for (const decision of decisions)
        assert.equal((await env.portal.console.decisions.reverify(decision)).valid, true);
      assert.deepEqual((await env.portal.console.verifyAudit()).problems, []);
      assert.deepEqual(
        (await verifyAuditChain(env.ca.store.auditEntries(), await env.ca.store.auditHead())).problems,
        [],
      );
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}
