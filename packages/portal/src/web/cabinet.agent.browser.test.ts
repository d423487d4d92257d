// The personal cabinet in headless Chromium with the real agent in unattended mode holding the
// person's keys: apply with agent-made keys, confirmed and installed; log in with the AUTH key;
// see the certificates and download one; renew by an application signed with the current SIGN key
// (new keys from the agent, issued at once, installed through the status page) — the old
// certificates stay good; revoke the old SIGN certificate (signed) → `openssl ocsp` says revoked.
// Screenshots go to test-artifacts/portal/cabinet-*.png.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Page } from "playwright-core";
import { verifyAuditChain } from "@qoltanba/ca";
import {
  captchaAnswer,
  PERSON,
  temporaryDirectory,
  testDatabases,
  writePem,
  type TestPortal,
  opensslOcsp,
} from "../testSupport.ts";
import { portalInChromium, type PortalInChromium, desktopPage, screenshots } from "./browserTestSupport.ts";

const run = promisify(execFile);
const KEY_PASSWORD = "Cabinet2026";

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`the personal cabinet in Chromium with the agent, on ${database.engine}`, () => {
    const work = temporaryDirectory("qoltanba-cabinet-agent-");
    const keyDir = join(work, "keys");
    let env: TestPortal;
    let portal: PortalInChromium;

    before(async () => {
      mkdirSync(keyDir, { recursive: true });
      portal = await portalInChromium(database, work);
      env = portal.env;
      await portal.startAgent({
        home: join(work, "agent-home"),
        unattended: { origins: [env.url], keyDir, keyPassword: KEY_PASSWORD },
      });
    });
    after(() => portal?.close());

    const shot = screenshots("portal", `cabinet-${database.engine}`);

    const ocsp = (serial: string, expected: RegExp) => opensslOcsp(env, serial, expected, work);

    /** The status page of an issued application: install through the agent. */
    const install = async (page: Page) => {
      await page.locator('#application-status[data-status="issued"]').waitFor({ timeout: 30_000 });
      await page.locator("#install-certificates").click();
      await page.locator("#agent-status.success").waitFor({ timeout: 30_000 });
    };

    test("log in with the AUTH key, see and download, renew by a signed application, revoke → OCSP revoked", async () => {
      const { context, page, problems } = await desktopPage(portal.browser);

      // The person's first certificates: applied with agent-made keys, confirmed, installed.
      await page.goto(`${env.url}/apply`);
      await page.getByLabel("Келісімді оқыдым және келісемін").check();
      await page.getByRole("button", { name: "Растау" }).click();
      await page.waitForURL(/\/apply\/identity$/);
      const { answer } = await captchaAnswer(env.portal, await page.content());
      await page.getByLabel("Суреттегі код").fill(answer);
      await page.locator("#iin").fill(PERSON.iin);
      await page.getByRole("button", { name: "ЖСН тексеру" }).click();
      await page.waitForURL(/\/apply\/details$/);
      await page.locator("#agent-status.success").waitFor();
      await page.locator("#email").fill(`${PERSON.iin}@example.kz`);
      await page.locator("#emailRepeat").fill(`${PERSON.iin}@example.kz`);
      await page.selectOption("#region", "astana");
      await page.selectOption("#locality", "astana.esil");
      await page.getByRole("button", { name: "Өтінім беру" }).click();
      await page.waitForURL(/\/apply\/done$/);
      const first = (await page.locator("#application-number").textContent())!.replace(/\s/g, "");
      await env.portal.lifecycle.confirmApplication(first, "test");
      await page.goto(`${env.url}/status`);
      await page.getByLabel("Өтінім нөмірі").fill(first);
      await page.locator("#iin").fill(PERSON.iin);
      await page.getByRole("button", { name: "Іздеу" }).click();
      await install(page);
      const old = (await env.portal.store.application(first))!;

      // The cabinet: sign in with the AUTH key through the agent.
      await page.goto(`${env.url}/cabinet`);
      await shot(page, "01-login");
      await page.locator("#cabinet-login").click();
      await page.locator("#certificates").waitFor({ timeout: 30_000 });
      assert.match((await page.locator("#signed-in").textContent())!, new RegExp(PERSON.iin));
      for (const serial of [old.authSerial!, old.signSerial!])
        await page.locator(`#certificates tr[data-serial="${serial}"][data-state="valid"]`).waitFor();
      await page.locator(`#applications tr[data-number="${first}"][data-status="installed"]`).waitFor();
      await shot(page, "02-certificates");
      const download = await page.request.get(`${env.url}/cabinet/certificates/${old.authSerial}.pem`);
      assert.equal(download.status(), 200);
      const { stdout: parsed } = await run("openssl", [
        "x509",
        "-noout",
        "-serial",
        "-in",
        writePem(work, "downloaded.pem", await download.text()),
      ]);
      assert.equal(parsed.trim().toLowerCase(), `serial=${old.authSerial}`);
      const foreign = await page.request.get(`${env.url}/cabinet/certificates/${"ab".repeat(16)}.cer`);
      assert.equal(foreign.status(), 404);

      // Renew: new keys from the agent, the application signed with the current SIGN key, issued at
      // once (no operator), installed through the status page.
      await page.selectOption("#renew-storage", "file");
      await page.locator("#renew").click();
      await page.waitForURL(/\/status$/, { timeout: 30_000 });
      await install(page);
      await shot(page, "03-renewed");
      const applications = await env.portal.store.applicationsOfPerson(PERSON.iin);
      const renewed = applications.find((application) => application.number !== first)!;
      assert.equal(renewed.status, "installed");
      assert.equal(renewed.operator, `cabinet:${old.signSerial}`);
      // The old certificates stay good until revoked or expired.
      assert.match(await ocsp(old.signSerial!, /: good/), /: good/);

      // Revoke the old SIGN certificate, signed with the newest SIGN key.
      await page.goto(`${env.url}/cabinet`);
      for (const serial of [renewed.authSerial!, renewed.signSerial!, old.authSerial!, old.signSerial!])
        await page.locator(`#certificates tr[data-serial="${serial}"][data-state="valid"]`).waitFor();
      const row = page.locator(`#certificates tr[data-serial="${old.signSerial}"]`);
      await row.locator("select").selectOption("superseded");
      await row.getByRole("button").click();
      await page
        .locator(`#certificates tr[data-serial="${old.signSerial}"][data-state="revoked"]`)
        .waitFor({ timeout: 30_000 });
      await shot(page, "04-revoked");
      const revoked = await ocsp(old.signSerial!, /: revoked/);
      assert.match(revoked, /: revoked/);
      assert.match(revoked, /Reason: superseded/);
      assert.match(await ocsp(old.authSerial!, /: good/), /: good/);

      await page.locator("#logout").click();
      await page.locator("#cabinet-login").waitFor();

      const actions = [];
      for await (const entry of env.portal.consoleStore.auditEntries()) actions.push(entry.action);
      assert.deepEqual(
        actions.filter((action) => action.startsWith("cabinet-")),
        ["cabinet-login", "cabinet-renew", "cabinet-revoke", "cabinet-logout"],
      );
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
