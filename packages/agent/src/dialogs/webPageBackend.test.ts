// The agent's own dialog page in headless Chromium: a person approves an origin and signs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { PromptDialogs } from "./promptDialogs.ts";
import { WebPageBackend } from "./webPageBackend.ts";
import { connect, startTestAgent } from "../testing/testAgent.ts";
import { SIGN_EXTENSIONS, TestPki } from "../testing/testPki.ts";

const PORTAL = "https://portal.example.kz";
const PASSWORD = "WebPage123";

test("a person answers the agent's dialog page: approves the origin always, picks the key file, types the password, confirms the key", async (t) => {
  const pki = new TestPki();
  const key = pki.issue(
    "signer",
    "/CN=ВЕБ ИЕСІ/serialNumber=IIN880101300014/C=KZ",
    SIGN_EXTENSIONS,
    PASSWORD,
  );
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  const opened: string[] = [];
  const backend = new WebPageBackend((url) => {
    opened.push(url);
    void page.goto(url);
  });
  const agent = await startTestAgent(undefined, {
    dialogs: new PromptDialogs(backend),
    onHttpRequest: (request, response) => backend.handle(request, response),
  });
  backend.listeningOn(agent.server.port);
  t.after(async () => {
    await browser.close();
    await agent.dispose();
    pki.dispose();
  });

  const connecting = connect(agent, { origin: PORTAL });
  await page.getByRole("button", { name: "Always allow this site" }).click();
  const client = await connecting;
  assert.equal(opened.length, 1);
  assert.match((await page.locator("#text").textContent()) ?? "", /portal\.example\.kz/);
  assert.deepEqual(
    JSON.parse(readFileSync(join(agent.home, "origins.json"), "utf8")).origins.map(
      (entry: { origin: string }) => entry.origin,
    ),
    [PORTAL],
  );

  const data = Buffer.from("Келісімшарт: signed in the dialog page");
  const signing = client.request({
    module: "kz.gov.pki.knca.commonUtils",
    method: "createCAdESFromBase64",
    args: ["PKCS12", "SIGNATURE", data.toString("base64"), true],
  });
  await page.locator("#entry:not([hidden]) #value").fill(key.p12Path);
  await page.locator("#submit").click();
  await page.locator("#text", { hasText: "Password of" }).waitFor();
  assert.match(
    (await page.locator("#text").textContent()) ?? "",
    /The website https:\/\/portal\.example\.kz asks to sign a document \(CMS, attached\)[\s\S]*Келісімшарт: signed in the dialog page/,
  );
  assert.equal(await page.locator("#value").getAttribute("type"), "password");
  await page.locator("#value").fill(PASSWORD);
  await page.locator("#submit").click();
  await page.getByRole("button", { name: /ВЕБ ИЕСІ — SIGNATURE/ }).click();
  const reply = (await signing) as { code: string; responseObject: string };
  assert.equal(reply.code, "200");
  assert.deepEqual(pki.verifyCms(Buffer.from(reply.responseObject, "base64")), data);

  // Without the token, or from another origin, the dialog API answers nothing.
  const base = `https://127.0.0.1:${agent.server.port}`;
  const forged = await page.evaluate(async (url) => (await fetch(`${url}/dialog/question`)).status, base);
  assert.equal(forged, 403);
  client.close();
});
