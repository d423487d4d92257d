import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { toPem } from "@qoltanba/pki";
import type { CaClient } from "../caClient.ts";
import { parseApplicationNumber } from "../enrollment/applicationNumber.ts";
import { ApplicationLifecycle } from "../enrollment/lifecycle.ts";
import {
  Browser,
  captchaAnswer,
  csrPair,
  openssl,
  opensslResult,
  PERSON,
  startTestPortal,
  temporaryDirectory,
  testDatabases,
  validIin,
  type TestPortal,
} from "../testSupport.ts";

const ARTIFACTS = resolve(import.meta.dirname, "../../../../test-artifacts/portal");

/** Agreement → captcha + IIN → details: the seed's steps 1–4. */
async function reachDetails(browser: Browser, env: TestPortal, iin = PERSON.iin) {
  await browser.page("/individuals");
  const agreed = await browser.post("/apply", { agree: "yes" });
  assert.equal(agreed.url, "/apply/identity");
  const { id, answer } = await captchaAnswer(env.portal, agreed.text);
  return browser.post("/apply/identity", { captchaId: id, captcha: answer, iin });
}

const detailsForm = (
  iin: string,
  csrs: { auth: string; sign: string },
  extra: Record<string, string> = {},
) => ({
  iin,
  email: "test@example.kz",
  emailRepeat: "test@example.kz",
  region: "almaty",
  locality: "almaty.bostandyk",
  center: "almaty.bostandyk.rc",
  storage: "file",
  authCsr: csrs.auth,
  signCsr: csrs.sign,
  ...extra,
});

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`portal on ${database.engine}`, () => {
    let env: TestPortal;
    let work: string;
    before(async () => {
      env = await startTestPortal(database, {
        rateLimits: { identity: { limit: 1000, windowMilliseconds: 60_000 } },
      });
      work = temporaryDirectory();
    });
    after(() => env.close());

    test("the home page shows the base certificates, served so browsers offer to import them, and the user counters", async () => {
      const browser = new Browser(env.url);
      const home = await browser.page("/");
      assert.match(home.text, /БАЗАЛЫҚ СЕРТИФИКАТТАР/);
      assert.match(home.text, /ПАЙДАЛАНУШЫЛАР САНЫ/);
      assert.match(home.text, /id="users-total">0</);
      for (const [name, der] of [
        ["root_rsa", env.ca.certificates.root],
        ["pki_rsa", env.ca.certificates.issuing],
      ] as const) {
        const response = await browser.request(`/certificates/${name}.cer`);
        assert.equal(response.headers.get("content-type"), "application/x-x509-ca-cert");
        const body = Buffer.from(await response.arrayBuffer());
        assert.deepEqual(body, der);
        const path = join(work, `${name}.cer`);
        writeFileSync(path, body);
        assert.match(
          openssl([
            "x509",
            "-inform",
            "DER",
            "-in",
            path,
            "-noout",
            "-subject",
            "-nameopt",
            "utf8",
          ]).toString(),
          /КУӘЛАНДЫРУШЫ ОРТАЛЫҚ/,
        );
        const pem = await (await browser.request(`/certificates/${name}.pem`)).text();
        assert.equal(pem, toPem("CERTIFICATE", der));
      }
      const ru = await browser.page("/lang/ru?back=/");
      assert.match(ru.text, /БАЗОВЫЕ СЕРТИФИКАТЫ/);
      assert.match(ru.text, /<html lang="ru">/);
    });

    test("every page sends a strict CSP (agent's wss origin only) and the usual security headers", async () => {
      const response = await new Browser(env.url).request("/individuals");
      const csp = response.headers.get("content-security-policy")!;
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /connect-src 'self' wss:\/\/127\.0\.0\.1:13579(;|$)/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("x-frame-options"), "DENY");
      assert.equal(response.headers.get("referrer-policy"), "no-referrer");
      assert.equal(response.headers.get("cache-control"), "no-store");
      const cookie = response.headers.getSetCookie()[0]!;
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
    });

    test("a whole application: IIN check fills the names, submission stores it, the form downloads, the status needs number and IIN", async () => {
      const browser = new Browser(env.url);
      const details = await reachDetails(browser, env);
      assert.equal(details.url, "/apply/details");
      assert.match(details.text, /value="ТЕСТОВ" readonly/);
      assert.match(details.text, /value="ТЕСТОВИЧ" readonly/);
      const regionSelect = /<select id="region"[\s\S]*?<\/select>/.exec(details.text)![0];
      assert.equal(
        (regionSelect.match(/<option value="[a-z-]+"/g) ?? []).length,
        20,
        "17 regions and 3 cities",
      );
      const csrs = csrPair(work);
      const before = await env.portal.store.countApplications();
      const response = await browser.request("/apply/submit", {
        method: "POST",
        json: detailsForm(PERSON.iin, csrs),
        headers: { "x-csrf-token": browser.csrfToken },
      });
      assert.equal(response.status, 200, await response.clone().text());
      const { number } = (await response.json()) as { number: string };
      assert.ok(parseApplicationNumber(number), "a 16-digit number with its check digit");
      assert.equal(await env.portal.store.countApplications(), before + 1);
      // Without SMTP the demo's mail catcher (loopback only) shows what would have been sent.
      await env.portal.outbox.idle();
      const inbox = await browser.page("/mail-catcher");
      assert.match(inbox.text, new RegExp(`Өтінім ${number.replace(/(\d{4})(?=\d)/g, "$1 ")} қабылданды`));
      assert.match(inbox.text, new RegExp(`application-${number}\\.pdf`));
      const done = await browser.page("/apply/done");
      assert.match(done.text, new RegExp(number.replace(/(\d{4})(?=\d)/g, "$1 ")));
      const pdf = await browser.request("/apply/form.pdf?lang=ru");
      assert.equal(pdf.headers.get("content-type"), "application/pdf");
      const path = join(work, "form.pdf");
      writeFileSync(path, Buffer.from(await pdf.arrayBuffer()));
      const text = execFileSync("pdftotext", ["-layout", path, "-"]).toString();
      assert.match(text, /ЗАЯВЛЕНИЕ/);
      assert.match(text, /ТЕСТОВ ТЕСТ ТЕСТОВИЧ/);
      assert.match(text, new RegExp(`Номер заявки: ${number.replace(/(\d{4})(?=\d)/g, "$1 ")}`));
      assert.match(text, /Файловая система \(PKCS12\)/);
      const deadline = new Intl.DateTimeFormat("ru-RU", {
        timeZone: "Asia/Almaty",
        day: "2-digit",
        month: "2-digit",
        year: "numeric",
      }).format(new Date(Date.now() + 30 * 86_400_000));
      assert.match(
        text,
        new RegExp(`Обратиться в Регистрационный[\\s\\S]*${deadline.replace(/\./g, "\\.")}`),
      );
      // A look at the page: pdftoppm renders it for a person to see under test-artifacts/portal/.
      mkdirSync(ARTIFACTS, { recursive: true });
      execFileSync("pdftoppm", [
        "-png",
        "-r",
        "60",
        "-singlefile",
        path,
        join(ARTIFACTS, `form-ru-${database.engine}`),
      ]);
      assert.ok(statSync(join(ARTIFACTS, `form-ru-${database.engine}.png`)).size > 10_000);
      const authSpki = openssl(["req", "-pubkey", "-noout"], csrs.auth);
      const fingerprint = openssl(
        ["dgst", "-sha256", "-r"],
        openssl(["pkey", "-pubin", "-outform", "DER"], authSpki),
      )
        .toString()
        .split(" ")[0]!
        .toUpperCase();
      assert.ok(
        text.replace(/[\s:]+/g, "").includes(fingerprint),
        "the AUTH key's SHA-256 fingerprint, as openssl computes it",
      );

      // A number alone is not enough: the IIN must match.
      const stranger = new Browser(env.url);
      await stranger.page("/status");
      const wrong = await stranger.post("/status", { number, iin: validIin("1980-02-02", "male", 5) });
      assert.equal(wrong.status, 404);
      assert.doesNotMatch(wrong.text, /ТЕСТОВ/);
      const missing = await stranger.post("/status", { number, iin: "" });
      assert.equal(missing.status, 404);
      const found = await stranger.post("/status", { number, iin: PERSON.iin });
      assert.equal(found.status, 200);
      assert.match(found.text, /data-status="submitted"/);
      assert.match(found.text, /Берілді/);
      for (const path of [...browser.visited, ...stranger.visited])
        assert.doesNotMatch(path, new RegExp(`${PERSON.iin}|${number}|ТЕСТ|%D0`), path);
    });

    test("bad input: each gets a clear message and nothing is stored", async () => {
      const count = () => env.portal.store.countApplications();
      const start = await count();
      // A wrong captcha, then the same captcha again.
      const browser = new Browser(env.url);
      await browser.page("/individuals");
      const identity = await browser.post("/apply", { agree: "yes" });
      const { id, answer } = await captchaAnswer(env.portal, identity.text);
      const wrongAnswer = answer === "00000" ? "11111" : "00000";
      const wrong = await browser.post("/apply/identity", {
        captchaId: id,
        captcha: wrongAnswer,
        iin: PERSON.iin,
      });
      assert.equal(wrong.status, 422);
      assert.match(wrong.text, /Суреттегі код қате/);
      const reused = await browser.post("/apply/identity", {
        captchaId: id,
        captcha: answer,
        iin: PERSON.iin,
      });
      assert.equal(reused.status, 422);
      assert.match(reused.text, /Бұл сурет бұрын пайдаланылған/);
      // An IIN with a bad checksum, and a person missing from the registry (with the seed's advice).
      const good = validIin("1991-05-05", "female", 77);
      const badChecksum = good.slice(0, 11) + String((Number(good[11]) + 1) % 10);
      let page = await browser.page("/apply/identity");
      let captcha = await captchaAnswer(env.portal, page.text);
      const checksum = await browser.post("/apply/identity", {
        captchaId: captcha.id,
        captcha: captcha.answer,
        iin: badChecksum,
      });
      assert.equal(checksum.status, 422);
      assert.match(checksum.text, /бақылау цифры сәйкес келмейді/);
      page = await browser.page("/apply/identity");
      captcha = await captchaAnswer(env.portal, page.text);
      const unknown = await browser.post("/apply/identity", {
        captchaId: captcha.id,
        captcha: captcha.answer,
        iin: good,
      });
      assert.equal(unknown.status, 422);
      assert.match(unknown.text, /Әділет департаментінің Құжаттау бөліміне/);

      // Submissions: a CSR whose signature does not verify, the same key twice, a key certified before.
      await reachDetails(browser, env);
      const csrs = csrPair(work);
      const submit = (form: Record<string, string>) =>
        browser.request("/apply/submit", {
          method: "POST",
          json: form,
          headers: { "x-csrf-token": browser.csrfToken },
        });
      const der = Buffer.from(csrs.auth.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
      der[der.length - 5]! ^= 0x01;
      const tampered = toPem("CERTIFICATE REQUEST", der);
      let response = await submit(detailsForm(PERSON.iin, { auth: tampered, sign: csrs.sign }));
      assert.equal(response.status, 422);
      assert.deepEqual(await response.json(), {
        error: "bad_csr_signature",
        message: "Кілттерге сұраудың (CSR) қолтаңбасы расталмады: кілттерді қайта жасаңыз.",
      });
      response = await submit(detailsForm(PERSON.iin, { auth: csrs.auth, sign: csrs.auth }));
      assert.equal(((await response.json()) as { error: string }).error, "same_keys");
      await env.portal.ca.issueCertificate({
        csr: csrs.sign,
        profile: "individual-sign",
        subject: { ...PERSON },
        storage: "file",
      });
      response = await submit(detailsForm(PERSON.iin, csrs));
      assert.equal(response.status, 422);
      assert.deepEqual(await response.json(), {
        error: "key_certified",
        message: "Бұл кілт бұрын сертификатталған: жаңа кілттер жасаңыз.",
      });
      // A body over the limit, and a submission without the CSRF token.
      response = await submit(detailsForm(PERSON.iin, { auth: csrs.auth, sign: "A".repeat(40_000) }));
      assert.equal(response.status, 413);
      assert.equal(((await response.json()) as { error: string }).error, "body_too_large");
      response = await browser.request("/apply/submit", {
        method: "POST",
        json: detailsForm(PERSON.iin, csrPair(work)),
      });
      assert.equal(response.status, 403);
      assert.equal(((await response.json()) as { error: string }).error, "csrf");
      const formWithoutToken = await browser.post("/apply/submit", detailsForm(PERSON.iin, csrPair(work)), {
        csrf: false,
      });
      assert.equal(formWithoutToken.status, 403);
      assert.match(formWithoutToken.text, /басқа сайттан жіберілді/);
      assert.equal(await count(), start, "nothing was stored");
      // A key already in another application.
      const fresh = csrPair(work);
      response = await submit(detailsForm(PERSON.iin, fresh));
      assert.equal(response.status, 200);
      await reachDetails(browser, env);
      response = await submit(detailsForm(PERSON.iin, { auth: fresh.auth, sign: csrPair(work).sign }));
      assert.equal(((await response.json()) as { error: string }).error, "key_in_use");
      assert.equal(await count(), start + 1);
    });

    test("a surname <script> is shown as text", async () => {
      const iin = validIin("1970-07-07", "male", 9);
      await env.portal.store.savePersons([
        { iin, surname: "<script>alert(1)</script>", givenName: "Ivan\"'&" },
      ]);
      const details = await reachDetails(new Browser(env.url), env, iin);
      assert.equal(details.status, 200);
      assert.doesNotMatch(details.text, /<script>alert/);
      assert.match(details.text, /value="&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
      assert.match(details.text, /value="Ivan&quot;&#39;&amp;"/);
    });

    test("the Registration Center confirms: both certificates issued, verified by openssl; the status shows them; the counters count the user", async () => {
      const browser = new Browser(env.url);
      await reachDetails(browser, env, "850702400128");
      const csrs = csrPair(work);
      const response = await browser.request("/apply/submit", {
        method: "POST",
        json: detailsForm("850702400128", csrs),
        headers: { "x-csrf-token": browser.csrfToken },
      });
      const { number } = (await response.json()) as { number: string };
      const before = await env.portal.store.counters();
      assert.ok(await env.portal.store.csrs(number));
      const issued = await env.portal.lifecycle.confirmApplication(number, "operator-1");
      assert.equal(await env.portal.store.csrs(number), undefined, "the CSRs go once the certificates exist");
      const root = join(work, "root.pem");
      const issuing = join(work, "issuing.pem");
      writeFileSync(root, toPem("CERTIFICATE", env.ca.certificates.root));
      writeFileSync(issuing, toPem("CERTIFICATE", env.ca.certificates.issuing));
      for (const [certificate, key] of [
        [issued.auth.certificate, csrs.authKey],
        [issued.sign.certificate, csrs.signKey],
      ] as const) {
        const path = join(work, `${issued.auth.serial}-${key.length}.pem`);
        writeFileSync(path, toPem("CERTIFICATE", certificate));
        const verified = opensslResult([
          "verify",
          "-x509_strict",
          "-CAfile",
          root,
          "-untrusted",
          issuing,
          path,
        ]);
        assert.equal(verified.status, 0, verified.output);
        const subject = openssl([
          "x509",
          "-in",
          path,
          "-noout",
          "-subject",
          "-nameopt",
          "utf8,sep_comma_plus",
        ]).toString();
        assert.match(subject, /serialNumber=IIN850702400128/);
        assert.match(subject, /L=БОСТАНДЫҚ/);
        const modulus = (args: string[]) => openssl(args).toString();
        assert.equal(
          modulus(["x509", "-in", path, "-noout", "-modulus"]),
          modulus(["rsa", "-in", key, "-noout", "-modulus"]),
        );
      }
      const after = await env.portal.store.counters();
      assert.deepEqual(after, {
        total: before.total + 1,
        individual: before.individual + 1,
        legal: before.legal,
      });
      const status = await browser.post("/status", { number, iin: "850702400128" });
      assert.match(status.text, /data-status="issued"/);
      assert.match(status.text, new RegExp(issued.sign.serial));
      assert.match(status.text, /Сертификаттарды жүктеу/);
      const installed = await browser.request("/status/installed", {
        method: "POST",
        json: { number, iin: "850702400128" },
        headers: { "x-csrf-token": browser.csrfToken },
      });
      assert.equal(installed.status, 200);
      assert.equal((await env.portal.store.application(number))!.status, "installed");
      // A second issue for the same person does not count them twice.
      await assert.rejects(env.portal.lifecycle.confirmApplication(number, "operator-1"), /installed/);
      assert.match((await browser.page("/")).text, new RegExp(`id="users-total">${after.total}<`));
    });

    test("an issuance stopped half-way (a crash after the CA issued AUTH) is finished once its claim runs out, with that same certificate and one e-mail", async () => {
      const browser = new Browser(env.url);
      await reachDetails(browser, env, "930917402309");
      const response = await browser.request("/apply/submit", {
        method: "POST",
        json: detailsForm("930917402309", csrPair(work)),
        headers: { "x-csrf-token": browser.csrfToken },
      });
      const { number } = (await response.json()) as { number: string };
      const issuedBeforeCrash: string[] = [];
      const crashingCa: CaClient = {
        ...env.portal.ca,
        async issueCertificate(request) {
          if (issuedBeforeCrash.length > 0) throw new Error("the process stopped here");
          const issued = await env.portal.ca.issueCertificate(request);
          issuedBeforeCrash.push(issued.serial);
          return issued;
        },
      };
      const claimMilliseconds = 60_000;
      const stopped = new ApplicationLifecycle(env.portal.store, crashingCa, claimMilliseconds);
      const confirmedAt = new Date();
      await assert.rejects(
        stopped.confirmApplication(number, "operator-1", confirmedAt),
        /the process stopped here/,
      );
      assert.equal((await env.portal.store.application(number))!.status, "confirmed");
      const certificatesInCa = async () =>
        Number(
          (
            await env.ca.store.db
              .selectFrom("certificates")
              .select((eb) => eb.fn.countAll().as("count"))
              .executeTakeFirstOrThrow()
          ).count,
        );
      const before = await certificatesInCa();

      // While the claim is fresh nobody else issues: a second confirmation is told to wait.
      const resumer = new ApplicationLifecycle(env.portal.store, env.portal.ca, claimMilliseconds);
      await assert.rejects(resumer.confirmApplication(number, "operator-2", confirmedAt), /being issued/);
      assert.equal(await resumer.resumeAbandonedIssuances(new Date(confirmedAt.getTime() + 1_000)), 0);

      // Once it runs out, the issuance is finished: the AUTH certificate from before, a new SIGN one.
      const later = new Date(confirmedAt.getTime() + claimMilliseconds + 1_000);
      assert.equal(await resumer.resumeAbandonedIssuances(later), 1);
      const application = (await env.portal.store.application(number))!;
      assert.equal(application.status, "issued");
      assert.equal(application.authSerial, issuedBeforeCrash[0]);
      assert.equal(await certificatesInCa(), before + 1, "only the SIGN certificate was still missing");
      assert.equal(await resumer.resumeAbandonedIssuances(later), 0, "nothing is issued twice");
      const issuedMail = await env.portal.store.db
        .selectFrom("outbox")
        .select("id")
        .where("application_number", "=", number)
        .where("kind", "=", "issued")
        .execute();
      assert.equal(issuedMail.length, 1, "one e-mail for the issued certificates");
    });

    test("life cycle: unconfirmed applications expire after 30 days, their personal data is purged after the retention", async () => {
      const browser = new Browser(env.url);
      await reachDetails(browser, env, "781123301050");
      const response = await browser.request("/apply/submit", {
        method: "POST",
        json: detailsForm("781123301050", csrPair(work)),
        headers: { "x-csrf-token": browser.csrfToken },
      });
      const { number } = (await response.json()) as { number: string };
      const in31Days = new Date(Date.now() + 31 * 86_400_000);
      const swept = await env.portal.lifecycle.sweep(365, in31Days);
      assert.ok(swept.expired >= 1);
      const expired = await env.portal.store.application(number);
      assert.equal(expired!.status, "expired");
      assert.equal(await env.portal.store.csrs(number), undefined);
      assert.equal(expired!.person!.iin, "781123301050", "kept until the retention ends");
      assert.deepEqual(
        (await env.portal.store.outbox(number)).map((message) => message.kind),
        ["submitted", "expired"],
      );
      await assert.rejects(env.portal.lifecycle.confirmApplication(number, "operator-1"), /expired/);
      await env.portal.lifecycle.sweep(30, new Date(in31Days.getTime() + 31 * 86_400_000));
      const purged = await env.portal.store.application(number);
      assert.equal(purged!.status, "expired");
      assert.equal(purged!.person, undefined);
      assert.equal(purged!.email, undefined);
      assert.ok(purged!.purgedAt);
      assert.equal((await browser.post("/status", { number, iin: "781123301050" })).status, 404);
    });
  });
}

describe("rate limits", () => {
  const database = testDatabases()[0]!();
  let env: TestPortal;
  before(async () => {
    env = await startTestPortal(database, {
      rateLimits: {
        identity: { limit: 2, windowMilliseconds: 60_000 },
        status: { limit: 3, windowMilliseconds: 60_000 },
      },
    });
  });
  after(() => env.close());

  test("IIN checks and status lookups per IP are limited, with Retry-After", async () => {
    const browser = new Browser(env.url);
    await browser.page("/status");
    for (let i = 0; i < 3; i++)
      assert.equal((await browser.post("/status", { number: "1234", iin: PERSON.iin })).status, 422);
    const response = await browser.request("/status", {
      method: "POST",
      form: { _csrf: browser.csrfToken, number: "1234", iin: PERSON.iin },
    });
    assert.equal(response.status, 429);
    assert.ok(Number(response.headers.get("retry-after")) > 0);
    assert.match(await response.text(), /Сұраулар тым көп/);
    await browser.page("/apply");
    await browser.post("/apply", { agree: "yes" });
    for (let i = 0; i < 2; i++)
      await browser.post("/apply/identity", { captchaId: "x", captcha: "1", iin: PERSON.iin });
    assert.equal(
      (await browser.post("/apply/identity", { captchaId: "x", captcha: "1", iin: PERSON.iin })).status,
      429,
    );
  });
});

describe("person registry outage", () => {
  const database = testDatabases()[0]!();
  let env: TestPortal;
  before(async () => {
    env = await startTestPortal(database, {
      registry: { kind: "http", url: "http://127.0.0.1:9/registry", timeoutMilliseconds: 300 },
    });
  });
  after(() => env.close());

  test("the IIN check says to try later (503), nothing breaks and nothing is stored", async () => {
    const browser = new Browser(env.url);
    await browser.page("/apply");
    const identity = await browser.post("/apply", { agree: "yes" });
    const { id, answer } = await captchaAnswer(env.portal, identity.text);
    const result = await browser.post("/apply/identity", { captchaId: id, captcha: answer, iin: PERSON.iin });
    assert.equal(result.status, 503);
    assert.match(result.text, /Жеке тұлғалар дерекқоры қазір жауап бермейді/);
    assert.match(result.text, /name="captchaId"/, "a new picture to try again with");
    assert.equal(await env.portal.store.countApplications(), 0);
  });
});
