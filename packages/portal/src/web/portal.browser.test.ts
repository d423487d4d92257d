// The seed's chapter 2 in headless Chromium against the portal served beside the CA, with
// screenshots of every step under test-artifacts/portal/agentless-*.png.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser as Chromium } from "playwright-core";
import { captchaAnswer, PERSON, startTestPortal, testDatabases, type TestPortal } from "../testSupport.ts";
import { CHROMIUM, freePort } from "../../../pki/src/test-support/localhost.ts";
import { screenshots } from "./browserTestSupport.ts";

describe("the portal in Chromium without a running agent", () => {
  const database = testDatabases()[0]!();
  let env: TestPortal;
  let chromiumBrowser: Chromium;
  before(async () => {
    // A loopback port nobody listens on: the agent is "not running".
    env = await startTestPortal(database, { agentOrigin: `wss://127.0.0.1:${await freePort()}` });
    chromiumBrowser = await chromium.launch(CHROMIUM);
  });
  after(async () => {
    await chromiumBrowser.close();
    await env.close();
  });

  const shot = screenshots("portal", "agentless");

  test("home → individuals → agreement → captcha and IIN → details; the page says exactly what to do about the agent", async () => {
    const context = await chromiumBrowser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on(
      "console",
      (message) =>
        message.type() === "error" && !message.text().includes("WebSocket") && problems.push(message.text()),
    );
    page.on("pageerror", (error) => problems.push(error.message));

    await page.goto(env.url);
    await assert.doesNotReject(page.getByRole("heading", { name: "БАЗАЛЫҚ СЕРТИФИКАТТАР" }).waitFor());
    await shot(page, "01-home-kk");
    await page.getByRole("link", { name: "Жеке тұлғалар" }).first().click();
    await shot(page, "02-individuals");
    await page.getByRole("link", { name: "Өтінім беру" }).click();
    await shot(page, "03-agreement");
    await page.getByLabel("Келісімді оқыдым және келісемін").check();
    await page.getByRole("button", { name: "Растау" }).click();
    await page.waitForURL(/\/apply\/identity$/);
    const { answer } = await captchaAnswer(env.portal, await page.content());
    await page.getByLabel("Суреттегі код").fill(answer);
    await page.getByLabel("ЖСН", { exact: false }).first().fill(PERSON.iin);
    await shot(page, "04-captcha-and-iin");
    await page.getByRole("button", { name: "ЖСН тексеру" }).click();
    await page.waitForURL(/\/apply\/details$/);
    assert.equal(await page.locator("#surname").inputValue(), "ТЕСТОВ");
    assert.equal(await page.locator("#givenName").inputValue(), "ТЕСТ");
    assert.equal(await page.locator("#patronymic").inputValue(), "ТЕСТОВИЧ");
    await page.selectOption("#region", "almaty");
    const visibleLocalities = await page.locator("#locality optgroup:not([hidden]) option").allTextContents();
    assert.ok(visibleLocalities.includes("Бостандық ауданы"), visibleLocalities.join(","));
    assert.ok(!visibleLocalities.includes("Семей қ."), "only the chosen region's localities");
    await page.selectOption("#locality", "almaty.bostandyk");
    assert.equal(await page.locator("#center").inputValue(), "almaty.bostandyk.rc");
    await page.locator("#agent-status.error").waitFor();
    const advice = await page.locator("#agent-status").textContent();
    assert.match(advice!, /агенті жауап бермейді/);
    assert.match(advice!, /127\.0\.0\.1/);
    assert.match(advice!, /Жергілікті желіге кіру/);
    assert.ok(await page.locator("#submit-application").isDisabled(), "no submission without the agent");
    await shot(page, "05-details-agent-missing");
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("the status page is fine on a phone, in Russian and English", async () => {
    const context = await chromiumBrowser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
    });
    const page = await context.newPage();
    await page.goto(`${env.url}/lang/ru?back=/status`);
    await page.getByRole("heading", { name: "Статус поданной заявки" }).waitFor();
    await page.getByLabel("Номер заявки").fill("4539 1488 0343 6467");
    await page.getByLabel("ИИН").fill(PERSON.iin);
    await page.getByRole("button", { name: "Поиск" }).click();
    await page.getByRole("alert").waitFor();
    assert.match((await page.getByRole("alert").textContent())!, /не найдена/);
    await shot(page, "06-status-phone-ru");
    await page.getByRole("link", { name: "English" }).click();
    await page.getByRole("heading", { name: "Status of a submitted application" }).waitFor();
    await shot(page, "07-status-phone-en");
    await context.close();
  });
});
