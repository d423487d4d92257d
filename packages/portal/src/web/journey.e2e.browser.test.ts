// The seed end to end, as issue #8 asks, in headless Chromium that trusts the agent only through
// the agent's own trust install: an operator enrols; a person applies (IIN check, locality, keys by
// the agent), gets the form and the e-mail; the operator signs in with a certificate and confirms;
// the person installs the certificates (checked with openssl: chain and OCSP good), signs a document
// on another website through ncalayer-js-client (openssl cms -verify), and revokes it in the
// personal cabinet: OCSP says revoked. The operator and the person sit at different
// computers: each has an agent of their own, which takes the agent port in turn here.
// The whole journey runs twice on each database: once with the person's keys in a folder, once on a
// JaCarta token (SoftHSM2 standing in; the token is checked from outside with pkcs11-tool). The
// person's agent with a token also has its folder of key files, and prefers the token as a person
// would (`preferredStorage`). Screenshots of every step go to test-artifacts/journey/ and
// test-artifacts/journey-token/.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Page } from "playwright-core";
import { fromPemOrDer, toPem } from "@qoltanba/pki";
import { verifyAuditChain } from "@qoltanba/ca";
import { createSoftHsmToken, deleteSoftHsmToken, TEST_PIN } from "../../../pki/src/test-support/softhsm.ts";
import { opensslVerifyCms } from "../../../pki/src/test-support/openssl-ca.ts";
import { messages } from "../i18n/index.ts";
import {
  captchaAnswer,
  opensslOcsp,
  PERSON,
  temporaryDirectory,
  testDatabases,
  type TestDatabase,
  type TestPortal,
  Inbox,
} from "../testSupport.ts";
import { portalInChromium, type PortalInChromium, desktopPage, screenshots, tokenKeys } from "./browserTestSupport.ts";

const run = promisify(execFile);
const t = messages("kk");
const KEY_PASSWORD = "Journey2026";
const OPERATOR_IIN = "580819300616";
const CENTER = "astana.esil.rc";
const DOCUMENT = "Шарт № 17: қол қойылды";
const CLIENT_SCRIPT = readFileSync(createRequire(import.meta.url).resolve("ncalayer-js-client"), "utf8");

/** Where the person keeps their keys. */
interface PersonStorage {
  kind: "folder" | "token";
  /** The storage chosen on the application form. */
  formOption: "file" | "jacarta";
  /** The ncalayer-js-client constant another website names that storage with. */
  clientStorage: "basicsStoragePKCS12" | "basicsStorageJaCarta";
  screenshots: string;
}

const STORAGES: readonly PersonStorage[] = [
  { kind: "folder", formOption: "file", clientStorage: "basicsStoragePKCS12", screenshots: "journey" },
  {
    kind: "token",
    formOption: "jacarta",
    clientStorage: "basicsStorageJaCarta",
    screenshots: "journey-token",
  },
];

/** Another website: loads ncalayer-js-client and signs DOCUMENT (attached CMS with a time-stamp) with the SIGN key in `storage`. */
function relyingPartyPage(agentUrl: string, storage: PersonStorage["clientStorage"]): Server {
  const html = `<!doctype html><meta charset="utf-8"><title>Келісімшарт</title>
<h1>Келісімшартқа қол қою</h1><p>${DOCUMENT}</p><button id="sign">Қол қою</button><pre id="result"></pre>
<script src="/ncalayer-client.js"></script>
<script>
document.getElementById("sign").onclick = async () => {
  try {
    const client = new NCALayerClient("${agentUrl}", false);
    await client.connect();
    const bytes = new TextEncoder().encode(${JSON.stringify(DOCUMENT)});
    const cms = await client.basicsSignCMS(NCALayerClient.${storage}, bytes.buffer,
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

for (const storage of STORAGES) for (const makeDatabase of testDatabases()) journey(storage, makeDatabase());

/** The whole journey with the person's keys in `storage`, on `database`. */
function journey(storage: PersonStorage, database: TestDatabase): void {
  describe(`the seed end to end in Chromium, keys in a ${storage.kind}, on ${database.engine}`, () => {
    const work = temporaryDirectory("qoltanba-journey-");
    const shot = screenshots(storage.screenshots, database.engine);
    const inbox = new Inbox();
    let env: TestPortal;
    let portal: PortalInChromium;
    let site: Server;
    let siteUrl: string;
    /** The person's JaCarta, plugged in for this journey only: two would make the agent ask which. */
    let token: { label: string } | undefined;

    /** The agent of one computer takes the agent port: its own folder of keys and its own state. */
    const agentOf = async (who: "operator" | "person", folder = "keys") => {
      const keyDir = join(work, who, folder);
      mkdirSync(keyDir, { recursive: true });
      const withToken = who === "person" && token !== undefined;
      await portal.startAgent({
        home: join(work, who, "agent-home"),
        unattended: {
          origins: [env.url, siteUrl],
          keyDir,
          keyPassword: KEY_PASSWORD,
          ...(withToken ? { tokens: { AKJaCartaStore: TEST_PIN }, preferredStorage: "AKJaCartaStore" } : {}),
        },
        // CAdES-T: the signatures carry a time-stamp from the CA's own TSA.
        tsaUrl: `${env.url}${new URL(env.ca.urls.tsa).pathname}`,
        softHsmTokens: withToken,
      });
      return keyDir;
    };

    before(async () => {
      await inbox.start();
      if (storage.kind === "token") token = createSoftHsmToken("JaCarta");
      portal = await portalInChromium(database, work, inbox);
      env = portal.env;
      site = relyingPartyPage(portal.agentUrl, storage.clientStorage);
      await new Promise<void>((done) => site.listen(0, "127.0.0.1", done));
      siteUrl = `http://127.0.0.1:${(site.address() as { port: number }).port}`;
    });
    after(async () => {
      await portal?.close();
      await new Promise<void>((done) => site?.close(() => done()));
      await inbox.stop();
      if (token) deleteSoftHsmToken(token.label);
    });

    /** The seed's 2.1: agreement → captcha and IIN → details (Astana, Esil, where the keys go) → keys by the agent → number. */
    const apply = async (
      page: Page,
      iin: string,
      step: string,
      keyStorage: PersonStorage["formOption"] = "file",
    ): Promise<string> => {
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
      await page.selectOption("#storage", keyStorage);
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

    /** What openssl reads as the certificate in a PEM file (key bags' attributes and all). */
    const derOf = async (path: string) =>
      (await run("openssl", ["x509", "-in", path, "-outform", "DER"], { encoding: "buffer" })).stdout;

    /**
     * Keys in a folder, which the person moved elsewhere meanwhile: "choose another folder" lets the
     * agent find them there and install the certificates into them. The certificates of the two
     * .p12 files, as openssl opens them with the key password.
     */
    const installInMovedFolder = async (page: Page, number: string, appliedKeys: string) => {
      const personKeys = await agentOf("person", "moved-keys");
      for (const file of readdirSync(appliedKeys))
        renameSync(join(appliedKeys, file), join(personKeys, file));
      await install(page, number, PERSON.iin, "08-person", t.changeFolderButton);
      const files = readdirSync(personKeys).filter((file) => file.endsWith(".p12"));
      assert.equal(files.length, 2);
      return Promise.all(
        files.map(async (file) => {
          const { stdout } = await run(
            "openssl",
            ["pkcs12", "-in", join(personKeys, file), "-nokeys", "-clcerts", "-passin", "env:P12_PASSWORD"],
            { env: { ...process.env, P12_PASSWORD: KEY_PASSWORD } },
          );
          const certificate = join(work, `${file}.pem`);
          writeFileSync(certificate, stdout);
          return certificate;
        }),
      );
    };

    /**
     * Keys on the token, back at the person's computer: the certificates go beside them. pkcs11-tool,
     * from outside the agent, finds the two keys (never extractable) and reads the certificate stored
     * with each; the person's folder of key files stays empty.
     */
    const installOnToken = async (page: Page, number: string, folder: string) => {
      await agentOf("person");
      await install(page, number, PERSON.iin, "08-person");
      const keys = tokenKeys(token!.label, work);
      assert.equal(keys.length, 2);
      for (const { access } of keys) assert.match(access, /sensitive, always sensitive, never extractable/);
      assert.deepEqual(readdirSync(folder), []);
      return keys.map((key) => key.certificatePath);
    };

    test("enrol an operator, apply, confirm in the console, install, check, sign elsewhere, revoke in the cabinet", async () => {
      const { context, page, problems } = await desktopPage(portal.browser, { acceptDownloads: true });

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
      const number = await apply(page, PERSON.iin, "04-person", storage.formOption);
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

      // The person installs the certificates; openssl finds both chained to the root, the very
      // certificates the CA issued, and its OCSP responder says good.
      const installed =
        storage.kind === "folder"
          ? await installInMovedFolder(page, number, appliedKeys)
          : await installOnToken(page, number, appliedKeys);
      const issued = (await env.portal.store.application(number))!;
      const root = pem("root.pem", env.ca.certificates.root);
      const issuing = pem("issuing.pem", env.ca.certificates.issuing);
      for (const certificate of installed)
        await run("openssl", ["verify", "-x509_strict", "-CAfile", root, "-untrusted", issuing, certificate]);
      const issuedSerials = [issued.authSerial!, issued.signSerial!];
      const issuedDer = await Promise.all(
        issuedSerials.map(async (serial) => (await env.portal.ca.certificate(serial))!.certificate),
      );
      assert.deepEqual(
        (await Promise.all(installed.map(derOf))).map((der) => der.toString("hex")).sort(),
        issuedDer.map((der) => der.toString("hex")).sort(),
      );
      for (const serial of issuedSerials) await ocspSays(serial, "good");
      const signCertificate = pem("sign.pem", issuedDer[1]!);

      // Another website signs a document through ncalayer-js-client; openssl verifies it to our root.
      await page.goto(siteUrl);
      await shot(page, "09-other-site");
      await page.locator("#sign").click();
      await page.waitForFunction('document.title !== "Келісімшарт"', undefined, { timeout: 30_000 });
      assert.equal(await page.title(), "signed");
      await shot(page, "10-other-site-signed");
      const cms = fromPemOrDer((await page.locator("#result").textContent())!, ["CMS"], "CMS");
      const chain = join(work, "chain.pem");
      writeFileSync(chain, toPem("CERTIFICATE", env.ca.certificates.root));
      const content = opensslVerifyCms(cms, chain, {
        options: ["-certfile", pem("issuing.pem", env.ca.certificates.issuing), "-purpose", "any", "-signer", join(work, "signer.pem")],
      }).toString("utf8");
      assert.equal(content, DOCUMENT);
      assert.equal(
        readFileSync(join(work, "signer.pem"), "utf8").trim(),
        readFileSync(signCertificate, "utf8").trim(),
      );

      // The person logs in to the personal cabinet with the AUTH key and revokes the SIGN certificate,
      // signed with it: OCSP says revoked. The page names no storage; with the token, its keys are
      // the person's only ones (the folder is empty) and the agent reaches them only by preferring
      // the token over the folder.
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
