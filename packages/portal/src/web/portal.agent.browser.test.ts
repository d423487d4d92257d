// The seed's chapter 2 end to end: headless Chromium, the portal served beside the CA, and the
// real agent in unattended mode, trusted by Chromium only through the agent's own trust install.
// Screenshots of every step go to test-artifacts/portal/agent-*.png.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toPem } from "@qoltanba/pki";
import { createSoftHsmToken, TEST_PIN } from "../../../pki/src/test-support/softhsm.ts";
import { messages, type Language } from "../i18n/index.ts";
import {
  captchaAnswer,
  opensslResult,
  PERSON,
  temporaryDirectory,
  testDatabases,
  type TestPortal,
  Inbox,
} from "../testSupport.ts";
import {
  ARTIFACTS,
  portalInChromium,
  type PortalInChromium,
  desktopPage, screenshots,
  tokenKeys,
} from "./browserTestSupport.ts";

const KEY_PASSWORD = "Portal2026";

/**
 * One journey per language with keys in files, one with keys on a JaCarta token (SoftHSM2 standing
 * in), each by another demo person (names as in demo/persons.csv).
 */
const JOURNEYS: ReadonlyArray<{
  language: Language;
  storage: "file" | "jacarta";
  iin: string;
  fullName: RegExp;
  surname: string;
}> = [
  {
    language: "kk",
    storage: "file",
    iin: PERSON.iin,
    surname: PERSON.surname,
    fullName: /ТЕСТОВ ТЕСТ ТЕСТОВИЧ/,
  },
  {
    language: "ru",
    storage: "file",
    iin: "650509300448",
    surname: "ИВАНОВ",
    fullName: /ИВАНОВ СЕРГЕЙ ПЕТРОВИЧ/,
  },
  {
    language: "en",
    storage: "file",
    iin: "850702400128",
    surname: "ӘБІЛҚАЙЫРОВА",
    fullName: /ӘБІЛҚАЙЫРОВА ӘЙГЕРІМ ҚАНАТҚЫЗЫ/,
  },
  {
    language: "kk",
    storage: "jacarta",
    iin: "821201303182",
    surname: "ӨТЕПОВ",
    fullName: /ӨТЕПОВ ҒАЛЫМ БАУЫРЖАНҰЛЫ/,
  },
];

/** One JaCarta token for every journey: a second one would make the agent ask which to use. */
let token: { label: string } | undefined;

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`the whole journey in Chromium with the agent, on ${database.engine}`, () => {
    const work = temporaryDirectory("qoltanba-portal-agent-");
    const keyDir = join(work, "keys");
    const inbox = new Inbox();
    let env: TestPortal;
    let portal: PortalInChromium;

    before(async () => {
      mkdirSync(keyDir, { recursive: true });
      await inbox.start();
      token ??= createSoftHsmToken("JaCarta");
      portal = await portalInChromium(database, work, inbox);
      env = portal.env;
      await portal.startAgent({
        home: join(work, "agent-home"),
        unattended: {
          origins: [env.url],
          keyDir,
          keyPassword: KEY_PASSWORD,
          tokens: { AKJaCartaStore: TEST_PIN },
        },
        softHsmTokens: true,
      });
    });
    after(async () => {
      await portal?.close();
      await inbox.stop();
    });

    for (const journey of JOURNEYS) {
      const t = messages(journey.language);
      const shot = screenshots("portal", `agent-${database.engine}-${journey.language}-${journey.storage}`);

      test(`in ${t.lang}, keys ${journey.storage === "file" ? "in a folder" : "on a JaCarta token"}: apply, get the form and the e-mail, be confirmed, install the certificates`, async () => {
        const { context, page, problems } = await desktopPage(portal.browser, { acceptDownloads: true });
        const urls: string[] = [];
        page.on("request", (request) => urls.push(request.url()));

        const keysBefore = new Set(readdirSync(keyDir));
        const newKeyFiles = () =>
          readdirSync(keyDir)
            .filter((file) => !keysBefore.has(file))
            .sort();

        // 2.1: home → ЭЦҚ кілтін алу → Жеке тұлғалар → Өтінім беру → agreement → captcha + ЖСН,
        // in the language chosen with the switcher on the home page (Kazakh is the default).
        await page.goto(env.url);
        if (journey.language !== "kk") await page.getByRole("link", { name: t.lang, exact: true }).click();
        assert.equal(await page.locator("html").getAttribute("lang"), journey.language);
        await shot(page, "01-home");
        await page.getByRole("link", { name: t.menuIndividuals }).first().click();
        await page.getByRole("link", { name: t.applyButton }).click();
        await page.getByLabel(t.agreementCheck).check();
        await shot(page, "02-agreement");
        await page.getByRole("button", { name: t.confirmButton }).click();
        await page.waitForURL(/\/apply\/identity$/);
        const { answer } = await captchaAnswer(env.portal, await page.content());
        await page.getByLabel(t.captchaLabel).fill(answer);
        await page.locator("#iin").fill(journey.iin);
        await shot(page, "03-captcha-iin");
        await page.getByRole("button", { name: t.checkIinButton }).click();
        await page.waitForURL(/\/apply\/details$/);

        // Details: names filled in, e-mail twice, region → locality → Registration Center, storage.
        assert.equal(await page.locator("#surname").inputValue(), journey.surname);
        await page.locator("#agent-status.success").waitFor();
        const storages = await page
          .locator("#storage option")
          .evaluateAll((options) =>
            options.map((option) => [
              (option as unknown as { value: string }).value,
              (option as unknown as { disabled: boolean }).disabled,
            ]),
          );
        assert.deepEqual(
          storages,
          [
            ["file", false],
            ["idcard", true],
            ["etoken", true],
            ["jacarta", false],
            ["kaztoken", true],
          ],
          "the file system, and the one token connected",
        );
        await page.selectOption("#storage", journey.storage);
        await page.locator("#email").fill("person@example.kz");
        await page.locator("#emailRepeat").fill("person@example.kz");
        await page.selectOption("#region", "astana");
        await page.selectOption("#locality", "astana.esil");
        assert.equal(await page.locator("#center").inputValue(), "astana.esil.rc");
        await shot(page, "04-details");
        await page.getByRole("button", { name: t.submitButton }).click();
        await page.waitForURL(/\/apply\/done$/);
        const number = (await page.locator("#application-number").textContent())!.replace(/\s/g, "");
        await shot(page, "05-number");
        const pending = newKeyFiles();
        assert.equal(pending.length, journey.storage === "file" ? 2 : 0);
        if (journey.storage === "file")
          assert.match(
            pending.join(" "),
            /^AUTH_RSA256_[0-9a-f]{40}\.pending\.pem RSA256_[0-9a-f]{40}\.pending\.pem$/,
          );

        // The form in the person's language, downloaded as a person would, read with pdftotext and
        // drawn with pdftoppm.
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.locator(`#form-${journey.language}`).click(),
        ]);
        const pdf = join(work, `form-${journey.language}.pdf`);
        await download.saveAs(pdf);
        const text = execFileSync("pdftotext", ["-layout", pdf, "-"]).toString();
        assert.match(text, new RegExp(t.formTitle));
        assert.match(text, journey.fullName);
        assert.match(text, new RegExp(number.replace(/(\d{4})(?=\d)/g, "$1 ")));
        execFileSync("pdftoppm", [
          "-png",
          "-r",
          "60",
          "-singlefile",
          pdf,
          join(
            ARTIFACTS,
            "portal",
            `agent-${database.engine}-${journey.language}-${journey.storage}-06-form`,
          ),
        ]);

        // The e-mail in the person's language, with the number and the form.
        await env.portal.outbox.idle();
        const received = inbox.messages.find((message) => message.subject?.replace(/\D/g, "") === number);
        assert.ok(received, "the submission e-mail arrived");
        assert.match(
          received.subject!,
          new RegExp(`^${t.mailSubject_submitted.replace("{number}", "[\\d ]+")}$`),
          "the e-mail is in the person's language",
        );
        assert.ok(received.attachments.some((attachment) => attachment.contentType === "application/pdf"));

        // The Registration Center confirms (the console's library call).
        const issued = await env.portal.lifecycle.confirmApplication(number, "operator-1");

        // 2.2: status → number + ЖСН → Іздеу → Сертификаттарды жүктеу → Сертификаттар сәтті орнатылды.
        await page.getByRole("link", { name: t.menuStatus }).first().click();
        await page.getByLabel(t.applicationNumber).fill(number);
        await page.locator("#iin").fill(journey.iin);
        await page.getByRole("button", { name: t.searchButton }).click();
        await page.locator('#application-status[data-status="issued"]').waitFor();
        await shot(page, "07-status-issued");
        await page.getByRole("button", { name: t.installButton }).click();
        await page.locator("#agent-status.success").waitFor({ timeout: 30_000 });
        assert.match((await page.locator("#agent-status").textContent())!, new RegExp(t.installed));
        await shot(page, "08-installed");
        assert.equal((await env.portal.store.application(number))!.status, "installed");
        assert.deepEqual(problems, []);
        for (const url of urls)
          assert.doesNotMatch(url, new RegExp(`${journey.iin}|${number}`), "no personal data in URLs");

        const root = join(work, "root.pem");
        const issuing = join(work, "issuing.pem");
        writeFileSync(root, toPem("CERTIFICATE", env.ca.certificates.root));
        writeFileSync(issuing, toPem("CERTIFICATE", env.ca.certificates.issuing));
        const serials = [issued.auth.serial, issued.sign.serial].map((serial) => serial.replace(/^0+/, ""));
        const serialOf = (certificatePath: string) =>
          execFileSync("openssl", ["x509", "-in", certificatePath, "-noout", "-serial"])
            .toString()
            .trim()
            .replace(/^serial=/, "")
            .toLowerCase()
            .replace(/^0+/, "");
        /** openssl verifies an installed certificate up to the root, and it is one the CA issued. */
        const verifyInstalled = (certificatePath: string) => {
          const verified = opensslResult([
            "verify",
            "-x509_strict",
            "-CAfile",
            root,
            "-untrusted",
            issuing,
            certificatePath,
          ]);
          assert.equal(verified.status, 0, verified.output);
          const serial = serialOf(certificatePath);
          assert.ok(serials.includes(serial), `${serial} is one of ${serials.join(", ")}`);
        };
        if (journey.storage === "jacarta") {
          // The token holds both key pairs (never extractable) and their certificates under one ID
          // (beside the keys of earlier journeys).
          const ours = tokenKeys(token!.label, work).flatMap(({ access, certificatePath }) => {
            assert.match(access, /sensitive, always sensitive, never extractable/);
            return serials.includes(serialOf(certificatePath)) ? [certificatePath] : [];
          });
          assert.equal(ours.length, 2, "this journey's two certificates, each beside its key");
          ours.forEach(verifyInstalled);
        } else {
          // The folder holds two key files; openssl opens them and verifies their certificates.
          const files = newKeyFiles().filter((file) => file.endsWith(".p12"));
          assert.equal(files.length, 2);
          assert.match(files.join(" "), /^AUTH_RSA256_[0-9a-f]{40}\.p12 RSA256_[0-9a-f]{40}\.p12$/);
          for (const file of files) {
            const path = join(keyDir, file);
            const environment = { ...process.env, P12_PASSWORD: KEY_PASSWORD };
            const certificate = execFileSync(
              "openssl",
              ["pkcs12", "-in", path, "-nokeys", "-clcerts", "-passin", "env:P12_PASSWORD"],
              { env: environment },
            ).toString();
            const key = execFileSync(
              "openssl",
              ["pkcs12", "-in", path, "-nocerts", "-nodes", "-passin", "env:P12_PASSWORD"],
              { env: environment },
            ).toString();
            const certificatePath = join(work, `${file}.pem`);
            writeFileSync(certificatePath, certificate);
            verifyInstalled(certificatePath);
            const modulus = (args: string[], input?: string) =>
              execFileSync("openssl", args, { input: input ?? "" }).toString();
            assert.equal(
              modulus(["x509", "-noout", "-modulus"], certificate),
              modulus(["rsa", "-noout", "-modulus"], key),
            );
          }
        }
        await context.close();
      });
    }
  });
}
