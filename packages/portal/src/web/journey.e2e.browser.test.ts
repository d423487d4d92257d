// The seed end to end, as issue #8 asks, in headless Chromium that trusts the agent only through
// the agent's own trust install: an operator enrols; a person applies (IIN check, locality, keys in
// a folder), gets the form and the e-mail; the operator signs in with a certificate and confirms;
// the person installs the certificates (checked with openssl: chain and OCSP good), signs a document
// on another website through ncalayer-js-client (openssl cms -verify), and revokes it in the
// personal cabinet: OCSP says revoked. The operator and the person sit at different
// computers: each has an agent of their own, which takes the agent port in turn here.
// Screenshots of every step go to test-artifacts/journey/.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser as Chromium, Page } from "playwright-core";
import { parseUnattendedSettings, startAgent, type AgentServer } from "@qoltanba/agent";
import { fromPemOrDer, toPem } from "@qoltanba/pki";
import { verifyAuditChain } from "@qoltanba/ca";
import { messages } from "../i18n/index.ts";
import {
  captchaAnswer,
  opensslOcsp,
  PERSON,
  startTestPortal,
  temporaryDirectory,
  testDatabases,
  type TestPortal,
  Inbox,
} from "../testSupport.ts";
import { chromiumTrustingAgent, freePort, screenshots } from "./browserTestSupport.ts";

const run = promisify(execFile);
const t = messages("kk");
const KEY_PASSWORD = "Journey2026";
const OPERATOR_IIN = "580819300616";
const CENTER = "astana.esil.rc";
const DOCUMENT = "Шарт № 17: қол қойылды";
const CLIENT_SCRIPT = readFileSync(createRequire(import.meta.url).resolve("ncalayer-js-client"), "utf8");

/** Another website: loads ncalayer-js-client and signs DOCUMENT (attached CMS with a time-stamp) with the SIGN key. */
function relyingPartyPage(agentPort: number): Server {
  const html = `<!doctype html><meta charset="utf-8"><title>Келісімшарт</title>
<h1>Келісімшартқа қол қою</h1><p>${DOCUMENT}</p><button id="sign">Қол қою</button><pre id="result"></pre>
<script src="/ncalayer-client.js"></script>
<script>
document.getElementById("sign").onclick = async () => {
  try {
    const client = new NCALayerClient("wss://127.0.0.1:${agentPort}", false);
    await client.connect();
    const bytes = new TextEncoder().encode(${JSON.stringify(DOCUMENT)});
    const cms = await client.basicsSignCMS(NCALayerClient.basicsStoragePKCS12, bytes.buffer,
      NCALayerClient.basicsCMSParamsAttached, NCALayerClient.basicsSignerSignAny);
    document.getElementById("result").textContent = cms;
    document.title = "signed";
  } catch (error) {
    document.title = "error: " + error.message;
  }
};
</script>`;
  return createServer((request, response) => {
    if (request.url === "/ncalayer-client.js")
      response.writeHead(200, { "content-type": "text/javascript" }).end(CLIENT_SCRIPT);
    else response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
  });
}

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`the seed end to end in Chromium, on ${database.engine}`, () => {
    const work = temporaryDirectory("qoltanba-journey-");
    const shot = screenshots("journey", database.engine);
    const inbox = new Inbox();
    let env: TestPortal;
    let browser: Chromium;
    let tls: Awaited<ReturnType<typeof chromiumTrustingAgent>>["tls"];
    let agentPort: number;
    let agent: AgentServer | undefined;
    let site: Server;
    let siteUrl: string;

    /** The agent of one computer takes the agent port: its own folder of keys and its own state. */
    const agentOf = async (who: "operator" | "person", folder = "keys") => {
      await agent?.close();
      const keyDir = join(work, who, folder);
      mkdirSync(keyDir, { recursive: true });
      agent = await startAgent({
        home: join(work, who, "agent-home"),
        port: agentPort,
        tls,
        // CAdES-T: the signatures carry a time-stamp from the CA's own TSA.
        tsaUrl: `${env.url}${new URL(env.ca.urls.tsa).pathname}`,
        unattended: parseUnattendedSettings(
          { origins: [env.url, siteUrl], keyDir, keyPassword: KEY_PASSWORD },
          work,
        ),
      });
      return keyDir;
    };

    before(async () => {
      await inbox.start();
      agentPort = await freePort();
      ({ tls, browser } = await chromiumTrustingAgent(join(work, "browser-home")));
      env = await startTestPortal(database, {
        agentOrigin: `wss://127.0.0.1:${agentPort}`,
        mail: { smtpUrl: `smtp://127.0.0.1:${inbox.port}`, worker: { pollMilliseconds: 3_600_000 } },
      });
      site = relyingPartyPage(agentPort);
      await new Promise<void>((done) => site.listen(0, "127.0.0.1", done));
      siteUrl = `http://127.0.0.1:${(site.address() as { port: number }).port}`;
    });
    after(async () => {
      await browser?.close();
      await agent?.close();
      await env?.close();
      await new Promise<void>((done) => site?.close(() => done()));
      await inbox.stop();
    });

    /** The seed's 2.1: agreement → captcha and IIN → details (Astana, Esil) → keys by the agent → number. */
    const apply = async (page: Page, iin: string, step: string): Promise<string> => {
      await page.getByLabel(t.agreementCheck).check();
      await page.getByRole("button", { name: t.confirmButton }).click();
      await page.waitForURL(/\/apply\/identity$/);
      const { answer } = await captchaAnswer(env.portal, await page.content());
      await page.getByLabel(t.captchaLabel).fill(answer);
      await page.locator("#iin").fill(iin);
      await shot(page, `${step}-identity`);
      await page.getByRole("button", { name: t.checkIinButton }).click();
      await page.waitForURL(/\/apply\/details$/);
      await page.locator("#agent-status.success").waitFor();
      await page.locator("#email").fill(`${iin}@example.kz`);
      await page.locator("#emailRepeat").fill(`${iin}@example.kz`);
      await page.selectOption("#region", "astana");
      await page.selectOption("#locality", "astana.esil");
      await shot(page, `${step}-details`);
      await page.getByRole("button", { name: t.submitButton }).click();
      await page.waitForURL(/\/apply\/done$/);
      await shot(page, `${step}-number`);
      return (await page.locator("#application-number").textContent())!.replace(/\s/g, "");
    };

    /** The seed's 2.2: status → number and IIN → install the certificates through the agent. */
    const install = async (
      page: Page,
      number: string,
      iin: string,
      step: string,
      button = t.installButton,
    ) => {
      await page.goto(env.url);
      await page.getByRole("link", { name: t.menuStatus }).first().click();
      await page.getByLabel(t.applicationNumber).fill(number);
      await page.locator("#iin").fill(iin);
      await page.getByRole("button", { name: t.searchButton }).click();
      await page.locator('#application-status[data-status="issued"]').waitFor();
      await shot(page, `${step}-status`);
      await page.getByRole("button", { name: button }).click();
      await page.locator("#agent-status.success").waitFor({ timeout: 30_000 });
      await shot(page, `${step}-installed`);
    };

    const pem = (name: string, der: Buffer) => {
      const path = join(work, name);
      writeFileSync(path, toPem("CERTIFICATE", der));
      return path;
    };

    /** `openssl ocsp` asks the CA's responder, verifying the answer, until it says `expected`. */
    const ocspSays = async (serial: string, expected: "good" | "revoked") => {
      const answer = await opensslOcsp(env, serial, new RegExp(`: ${expected}`), work);
      assert.match(answer, new RegExp(`: ${expected}`));
      assert.match(answer, /Response verify OK/);
    };

    test("enrol an operator, apply, confirm in the console, install, check, sign elsewhere, revoke in the cabinet", async () => {
      const context = await browser.newContext({
        viewport: { width: 1200, height: 900 },
        acceptDownloads: true,
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(error.message));

      // The operator enrols through the one-time link, with keys from their agent.
      await agentOf("operator");
      const { link } = await env.portal.console.operators.add({
        iin: OPERATOR_IIN,
        role: "operator",
        center: CENTER,
        createdBy: "cli",
        baseUrl: env.url,
      });
      await page.goto(link);
      await page.waitForURL(/\/apply$/);
      const operatorNumber = await apply(page, OPERATOR_IIN, "01-operator");
      await install(page, operatorNumber, OPERATOR_IIN, "02-operator");

      // The person: home page → ЭЦҚ кілтін алу → Жеке тұлғалар → Өтінім беру, at their own computer.
      const appliedKeys = await agentOf("person");
      await page.goto(env.url);
      await shot(page, "03-home");
      await page.getByRole("link", { name: t.menuIndividuals }).first().click();
      await page.getByRole("link", { name: t.applyButton }).click();
      const number = await apply(page, PERSON.iin, "04-person");
      const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#form-kk").click()]);
      const form = join(work, "form.pdf");
      await download.saveAs(form);
      const { stdout: formText } = await run("pdftotext", ["-layout", form, "-"]);
      assert.match(formText, /ӨТІНІШ/);
      assert.match(formText, /ТЕСТОВ ТЕСТ ТЕСТОВИЧ/);
      await env.portal.outbox.idle();
      assert.ok(
        inbox.messages.some((message) => message.subject?.replace(/\D/g, "") === number),
        "the submission e-mail arrived over SMTP",
      );

      // At the Registration Center: the operator signs in with the AUTH key, finds the application,
      // checks the identity document and confirms with the SIGN key.
      await agentOf("operator");
      await page.goto(`${env.url}/console`);
      await shot(page, "05-console-login");
      await page.locator("#console-login").click();
      await page.waitForURL(/\/console\/queue$/);
      await page.locator("#q-iin").fill(PERSON.iin);
      await page.locator("#search").click();
      await page.locator(`#queue tr[data-number="${number}"] button`).click();
      await page.locator(`#application[data-number="${number}"]`).waitFor();
      await page.locator("#document-number").fill("043123456");
      await page.locator("#identity-save").click();
      await page.locator("#identity-checked").waitFor();
      await shot(page, "06-console-application");
      await page.locator("#confirm").click();
      await page.locator('#application[data-status="issued"]').waitFor({ timeout: 30_000 });
      await shot(page, "07-console-confirmed");
      await env.portal.outbox.idle();
      assert.equal(
        inbox.messages.filter((message) => message.subject?.replace(/\D/g, "") === number).length,
        2,
        "the submission and the issuance e-mails",
      );

      // The person moved the key files to another folder meanwhile: "choose another folder" lets the
      // agent find them there and install the certificates — two .p12 files that openssl opens and
      // verifies, OCSP good.
      const personKeys = await agentOf("person", "moved-keys");
      for (const file of readdirSync(appliedKeys))
        renameSync(join(appliedKeys, file), join(personKeys, file));
      await install(page, number, PERSON.iin, "08-person", t.changeFolderButton);
      const files = readdirSync(personKeys).filter((file) => file.endsWith(".p12"));
      assert.equal(files.length, 2);
      const issued = (await env.portal.store.application(number))!;
      const signCertificate = pem(
        "sign.pem",
        (await env.portal.ca.certificate(issued.signSerial!))!.certificate,
      );
      for (const file of files) {
        const { stdout } = await run(
          "openssl",
          ["pkcs12", "-in", join(personKeys, file), "-nokeys", "-clcerts", "-passin", "env:P12_PASSWORD"],
          { env: { ...process.env, P12_PASSWORD: KEY_PASSWORD } },
        );
        const certificate = join(work, `${file}.pem`);
        writeFileSync(certificate, stdout);
        const root = pem("root.pem", env.ca.certificates.root);
        const issuing = pem("issuing.pem", env.ca.certificates.issuing);
        await run("openssl", ["verify", "-x509_strict", "-CAfile", root, "-untrusted", issuing, certificate]);
      }
      for (const serial of [issued.authSerial!, issued.signSerial!]) await ocspSays(serial, "good");

      // Another website signs a document through ncalayer-js-client; openssl verifies it to our root.
      await page.goto(siteUrl);
      await shot(page, "09-other-site");
      await page.locator("#sign").click();
      await page.waitForFunction('document.title !== "Келісімшарт"', undefined, { timeout: 30_000 });
      assert.equal(await page.title(), "signed");
      await shot(page, "10-other-site-signed");
      const cms = join(work, "document.p7s");
      writeFileSync(cms, fromPemOrDer((await page.locator("#result").textContent())!, ["CMS"], "CMS"));
      const chain = join(work, "chain.pem");
      writeFileSync(chain, toPem("CERTIFICATE", env.ca.certificates.root));
      const { stdout: content } = await run("openssl", [
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        cms,
        "-CAfile",
        chain,
        "-certfile",
        pem("issuing.pem", env.ca.certificates.issuing),
        "-purpose",
        "any",
        "-signer",
        join(work, "signer.pem"),
      ]);
      assert.equal(content, DOCUMENT);
      assert.equal(
        readFileSync(join(work, "signer.pem"), "utf8").trim(),
        readFileSync(signCertificate, "utf8").trim(),
      );

      // The person revokes the SIGN certificate in the personal cabinet, signed with the agent: OCSP says revoked.
      await page.goto(`${env.url}/cabinet`);
      await shot(page, "11-cabinet-login");
      await page.locator("#cabinet-login").click();
      await page.locator("#certificates").waitFor({ timeout: 30_000 });
      const row = page.locator(`#certificates tr[data-serial="${issued.signSerial}"]`);
      await row.locator("select").selectOption("keyCompromise");
      await row.getByRole("button").click();
      await page
        .locator(`#certificates tr[data-serial="${issued.signSerial}"][data-state="revoked"]`)
        .waitFor({ timeout: 30_000 });
      await shot(page, "12-cabinet-revoked");
      await ocspSays(issued.signSerial!, "revoked");

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
