// The console's operations against a real CA on both engines, with every signature made by OpenSSL
// (`openssl cms -sign`) with keys whose certificates the CA issued through the enrollment, and the
// revocation checked with `openssl ocsp` against the CA's own responder.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { verifyAuditChain } from "@qoltanba/ca";
import type { Language } from "../i18n/index.ts";
import { REGISTRATION_CENTERS } from "../locality/regions.ts";
import type { Operator } from "../storage/consoleStore.ts";
import {
  Browser,
  failsWith,
  issuedKeys,
  opensslOcsp,
  opensslSign,
  PERSON,
  startTestPortal,
  submitApplication,
  temporaryDirectory,
  testDatabases,
  type TestKey,
  type TestPortal,
  validIin,
} from "../testSupport.ts";
import { Forbidden } from "./roles.ts";

const OPERATOR_IIN = "781123301050";
const AUDITOR_IIN = "650509300448";
const OTHER_PERSON_IIN = "850702400128";
const CENTER = "astana.esil.rc";
const OTHER_CENTER = REGISTRATION_CENTERS.find((center) => center.region === "almaty")!.code;
/** A person whose names try to break out of the page. */
const SCRIPT_PERSON = {
  iin: validIin("1970-07-07", "male", 9),
  surname: "<script>alert(1)</script>",
  givenName: "Ivan\"'&",
};
const ESCAPED_NAME = "&lt;script&gt;alert(1)&lt;/script&gt; Ivan&quot;&#39;&amp;";

/**
 * The words of a page's text with Latin letters, but those every language writes alike (AUTH, SIGN,
 * Qoltanba, the language switch's "English") and data: serials and fingerprints, e-mail addresses, `data`.
 */
function latinWords(page: string, data: readonly string[] = []): string[] {
  const text = page
    .replace(/<(script|style|pre|code)\b[\s\S]*?<\/\1>/g, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&[#\w]+;/g, " ");
  const shared = ["AUTH", "SIGN", "SHA-256", "Qoltanba", "English", ...data];
  return text
    .split(/[\s,;:()«»"'/]+/)
    .filter((word) => /[A-Za-z]/.test(word) && !shared.includes(word))
    .filter((word) => !/^[\dA-Fa-f]+$/.test(word) && !word.includes("@"));
}

/** What a browser does with a console page's language switch: follows its link (303), or posts its form and then again where the 307 says. */
async function switchLanguage(
  browser: Browser,
  page: string,
  language: Language,
): Promise<{ status: number; text: string; url: string }> {
  const link = new RegExp(`href="(/lang/${language}\\?back=[^"]+)"`).exec(page)?.[1];
  if (link) return browser.page(link);
  const form = new RegExp(`<form method="post" action="/lang/${language}"[\\s\\S]*?</form>`).exec(page)?.[0];
  assert.ok(form, `the page switches to ${language}`);
  const fields = Object.fromEntries(
    [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((match) => [
      match[1]!,
      match[2]!,
    ]),
  );
  const switched = await browser.request(`/lang/${language}`, { method: "POST", form: fields });
  assert.equal(switched.status, 307);
  const url = switched.headers.get("location")!;
  const response = await browser.request(url, { method: "POST", form: fields });
  return { status: response.status, text: await response.text(), url };
}

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`the Registration Center console on ${database.engine}`, () => {
    const work = temporaryDirectory("qoltanba-console-");
    let env: TestPortal;

    before(async () => {
      env = await startTestPortal(database);
    });
    after(() => env?.close());

    const keysOf = (number: string, csrs: { authKey: string; signKey: string }) =>
      issuedKeys(env.portal, number, csrs, work);

    /** An operator added as the CLI does, enrolled through their link and application. */
    const enrol = async (iin: string, role: string, place: { center?: string; region?: string }) => {
      const { link } = await env.portal.console.operators.add({
        iin,
        role,
        ...place,
        createdBy: "cli",
        baseUrl: env.url,
      });
      const token = link.split("#").pop()!;
      assert.ok(await env.portal.console.operators.invitation(token));
      const { number, csrs } = await submitApplication(env.portal, iin, place.center ?? CENTER, work);
      const operator = await env.portal.console.operators.enrol(
        token,
        (await env.portal.store.application(number))!,
      );
      assert.equal(operator.status, "active");
      await assert.rejects(
        env.portal.console.operators.enrol(token, (await env.portal.store.application(number))!),
        failsWith("enrolment_used"),
      );
      return { operator, keys: await keysOf(number, csrs) };
    };

    const signIn = async (key: TestKey, now?: Date) => {
      const challenge = await env.portal.console.challenge(now);
      return env.portal.console.signIn(opensslSign(Buffer.from(challenge.data, "base64"), key), now);
    };

    const decide = async (
      operator: Operator,
      key: TestKey,
      request: Parameters<typeof env.portal.console.prepareDecision>[1],
    ) => {
      const prepared = await env.portal.console.prepareDecision(operator, request);
      return { prepared, signature: opensslSign(Buffer.from(prepared.data, "base64"), key) };
    };

    let operator: Operator;
    let operatorKeys: { auth: TestKey; sign: TestKey };
    let personApplication: string;
    let personCsrs: { authKey: string; signKey: string };
    let auditorKeys: { auth: TestKey; sign: TestKey };

    test("an operator enrols through the link and logs in with the AUTH key; the session ends at logout or expiry", async () => {
      ({ operator, keys: operatorKeys } = await enrol(OPERATOR_IIN, "operator", { center: CENTER }));
      assert.equal(operator.role, "operator");
      assert.equal(operator.center, CENTER);
      const { token, expiresAt } = await signIn(operatorKeys.auth);
      assert.equal((await env.portal.console.session(token))?.operator.id, operator.id);
      assert.equal(await env.portal.console.session(token, new Date(expiresAt.getTime() + 1000)), undefined);
      await env.portal.console.signOut(token);
      assert.equal(await env.portal.console.session(token), undefined);
    });

    test("refused at the door: a SIGN key, a person's own certificate, a replayed login", async () => {
      await assert.rejects(signIn(operatorKeys.sign), failsWith("certificate_invalid"));
      const { number, csrs } = await submitApplication(env.portal, PERSON.iin, CENTER, work);
      personApplication = number;
      personCsrs = csrs;
      const other = await submitApplication(env.portal, OTHER_PERSON_IIN, CENTER, work);
      const checked = await env.portal.console.search(operator, { iin: OTHER_PERSON_IIN });
      assert.deepEqual(
        checked.rows.map((row) => row.number),
        [other.number],
      );
      const challenge = await env.portal.console.challenge();
      const signature = opensslSign(Buffer.from(challenge.data, "base64"), operatorKeys.auth);
      await env.portal.console.signIn(signature);
      await assert.rejects(env.portal.console.signIn(signature), failsWith("nonce_used"));
    });

    test("the queue: by number, IIN, name, status and date, keyset pages, the operator's own center only", async () => {
      const elsewhere = await submitApplication(env.portal, "930917402309", OTHER_CENTER, work);
      const byNumber = await env.portal.console.search(operator, { number: personApplication });
      assert.deepEqual(
        byNumber.rows.map((row) => row.number),
        [personApplication],
      );
      assert.equal(byNumber.rows[0]!.name, "ТЕСТОВ ТЕСТ ТЕСТОВИЧ");
      assert.deepEqual(
        (await env.portal.console.search(operator, { iin: PERSON.iin })).rows.map((row) => row.number),
        [personApplication],
      );
      assert.deepEqual(
        (await env.portal.console.search(operator, { name: "тест" })).rows.map((row) => row.number),
        [personApplication],
      );
      const today = new Date().toISOString().slice(0, 10);
      const submitted = await env.portal.console.search(operator, {
        status: "submitted",
        from: today,
        to: today,
      });
      assert.ok(submitted.rows.some((row) => row.number === personApplication));
      assert.ok(
        submitted.rows.every((row) => row.center === CENTER),
        "only the operator's center",
      );
      assert.deepEqual((await env.portal.console.search(operator, { number: elsewhere.number })).rows, []);
      await assert.rejects(
        env.portal.console.view(operator, elsewhere.number),
        (error) => error instanceof Forbidden,
      );
      const first = await env.portal.consoleStore.searchApplications({ scope: { center: CENTER }, limit: 1 });
      const second = await env.portal.consoleStore.searchApplications({
        scope: { center: CENTER },
        limit: 1,
        after: { submittedAt: first[0]!.submittedAt, number: first[0]!.number },
      });
      assert.equal(second.length, 1);
      assert.notEqual(second[0]!.number, first[0]!.number);
      await assert.rejects(env.portal.console.search(operator, { iin: "12" }), failsWith("bad_iin"));
      // Another center's application cannot be confirmed: the decision is not even prepared.
      await assert.rejects(
        env.portal.console.prepareDecision(operator, { kind: "confirm", application: elsewhere.number }),
        (error) => error instanceof Forbidden,
      );
    });

    test("confirm: identity checklist, a signed decision, certificates issued, the e-mail queued", async () => {
      await assert.rejects(
        env.portal.console.prepareDecision(operator, { kind: "confirm", application: personApplication }),
        failsWith("identity_unchecked"),
      );
      await env.portal.console.checkIdentity(operator, personApplication, {
        type: "id-card",
        number: "043123456",
      });
      const view = await env.portal.console.view(operator, personApplication);
      assert.equal(view.identityCheck?.checkedByIin, OPERATOR_IIN);
      assert.equal(view.fingerprints.auth?.length, 2);

      // A signature that does not verify changes nothing.
      const { signature } = await decide(operator, operatorKeys.sign, {
        kind: "confirm",
        application: personApplication,
      });
      const broken = Buffer.from(signature, "base64");
      broken[broken.length - 5]! ^= 0x40;
      await assert.rejects(
        env.portal.console.submitDecision(operator, broken.toString("base64")),
        failsWith("bad_signature"),
      );
      // Signed with the AUTH key: not a SIGN certificate.
      const byAuth = await decide(operator, operatorKeys.auth, {
        kind: "confirm",
        application: personApplication,
      });
      await assert.rejects(
        env.portal.console.submitDecision(operator, byAuth.signature),
        failsWith("certificate_invalid"),
      );
      assert.equal((await env.portal.store.application(personApplication))!.status, "submitted");
      assert.deepEqual(
        await env.portal.signedActions.list("console", { applicationNumber: personApplication, limit: 5 }),
        [],
      );

      const decision = await env.portal.console.submitDecision(operator, signature);
      assert.equal(decision.outcome, "applied");
      const application = (await env.portal.store.application(personApplication))!;
      assert.equal(application.status, "issued");
      assert.ok(application.authSerial && application.signSerial);
      assert.deepEqual(
        (await env.portal.store.outbox(personApplication)).map((mail) => mail.kind),
        ["submitted", "issued"],
      );
      await assert.rejects(env.portal.console.submitDecision(operator, signature), failsWith("nonce_used"));

      // The person's own AUTH certificate does not open the console.
      const personKeys = await keysOf(personApplication, personCsrs);
      await assert.rejects(signIn(personKeys.auth), failsWith("not_an_operator"));
    });

    test("reject with a reason: signed, the e-mail queued", async () => {
      const { number } = await submitApplication(env.portal, "821201303182", CENTER, work);
      const { signature } = await decide(operator, operatorKeys.sign, {
        kind: "reject",
        application: number,
        reason: "the documents did not match",
      });
      await env.portal.console.submitDecision(operator, signature);
      const application = (await env.portal.store.application(number))!;
      assert.equal(application.status, "rejected");
      assert.equal(application.rejectionReason, "the documents did not match");
      assert.deepEqual(
        (await env.portal.store.outbox(number)).map((mail) => mail.kind),
        ["submitted", "rejected"],
      );
    });

    test("revoke on the person's written request: openssl ocsp says revoked within seconds", async () => {
      const application = (await env.portal.store.application(personApplication))!;
      const { signature } = await decide(operator, operatorKeys.sign, {
        kind: "revoke",
        application: personApplication,
        certificate: application.signSerial!,
        reason: "keyCompromise",
        request: "written request 2026/17",
      });
      await env.portal.console.submitDecision(operator, signature);
      const answer = await opensslOcsp(env, application.signSerial!, /: revoked/, work);
      assert.match(answer, /: revoked/);
      assert.match(answer, /Reason: keyCompromise/);
    });

    test("an auditor re-verifies every decision; other roles may not; the logs verify", async () => {
      await assert.rejects(env.portal.console.auditLog(operator), (error) => error instanceof Forbidden);
      const { operator: auditor, keys } = await enrol(AUDITOR_IIN, "auditor", {});
      auditorKeys = keys;
      const { token } = await signIn(keys.auth);
      const session = (await env.portal.console.session(token))!;
      await assert.rejects(
        env.portal.console.search(session.operator, {}),
        (error) => error instanceof Forbidden,
      );
      const decisions = await env.portal.console.decisionList(auditor);
      assert.deepEqual(decisions.map((decision) => decision.kind).sort(), ["confirm", "reject", "revoke"]);
      for (const decision of decisions) {
        const { result } = await env.portal.console.reverify(auditor, decision.id);
        assert.deepEqual(result, { valid: true, problems: [], subject: result.subject });
      }
      const entries = await env.portal.console.auditLog(auditor);
      assert.ok(entries.some((entry) => entry.action === "decision-revoke"));
      assert.deepEqual((await env.portal.console.verifyAudit()).problems, []);
      const ca = await verifyAuditChain(env.ca.store.auditEntries(), await env.ca.store.auditHead());
      assert.deepEqual(ca.problems, []);
      // A changed stored decision no longer verifies.
      await env.portal.consoleStore.db
        .updateTable("signed_actions")
        .set({ document: "{}" })
        .where("id", "=", decisions[0]!.id)
        .execute();
      assert.equal((await env.portal.console.reverify(auditor, decisions[0]!.id)).result.valid, false);
    });

    /** A browser signed in over HTTP as the page script does it, the AUTH key's signature made by OpenSSL. */
    const signedInBrowser = async (key: TestKey, browser = new Browser(env.url)) => {
      await browser.page("/console");
      const json = (path: string, body: object) =>
        browser.request(path, { method: "POST", json: body, headers: { "x-csrf-token": browser.csrfToken } });
      const { data } = (await (await json("/console/login/challenge", {})).json()) as { data: string };
      const login = await json("/console/login", {
        signature: opensslSign(Buffer.from(data, "base64"), key),
      });
      assert.equal(login.status, 200, await login.clone().text());
      return browser;
    };

    test("the operator's pages in Kazakh, Russian and English; the switch comes back to the same page; a surname <script> stays text", async () => {
      await env.portal.store.savePersons([SCRIPT_PERSON]);
      const { number } = await submitApplication(env.portal, SCRIPT_PERSON.iin, CENTER, work);

      // Kazakh first, as the portal: the sign-in page and the page script's words.
      const browser = new Browser(env.url);
      let page = await browser.page("/console");
      assert.match(page.text, /<html lang="kk">/);
      assert.match(page.text, /<h1>Оператордың кіруі<\/h1>/);
      assert.match(page.text, /data-login="Агентте кіру сұрауына AUTH кілтіңізбен қол қойыңыз…"/);
      assert.deepEqual(latinWords(page.text), []);
      await signedInBrowser(operatorKeys.auth, browser);

      page = await browser.page("/console/queue");
      assert.match(page.text, /<html lang="kk">/);
      assert.match(page.text, /<title>Жұмыс кезегі — Qoltanba — Тіркеу орталығы<\/title>/);
      assert.match(
        page.text,
        /data-role="operator"\s*>Оператор 781123301050 · Тіркеу орталығы: Есіл ауданы, Астана қаласы</,
      );
      assert.match(page.text, /<th>Өтінім нөмірі<\/th>|Өтінім нөмірі <input/);
      assert.doesNotMatch(page.text, /<script>alert/);
      assert.ok(page.text.includes(`<td>${ESCAPED_NAME}</td>`));
      assert.deepEqual(latinWords(page.text, ["script", "alert", "Ivan"]), []);

      // A search is a POST: the switch posts it again, in Russian, and the same row comes back.
      page = await browser.post("/console/queue", { iin: SCRIPT_PERSON.iin });
      assert.match(page.text, /Кезеңнің басы/);
      page = await switchLanguage(browser, page.text, "ru");
      assert.equal(page.url, "/console/queue");
      assert.equal(browser.cookie("qlang"), "ru");
      assert.match(page.text, /<html lang="ru">/);
      assert.match(page.text, /<h1>Очередь заявок<\/h1>/);
      assert.match(page.text, new RegExp(`id="q-iin" value="${SCRIPT_PERSON.iin}"`));
      assert.deepEqual(
        [...page.text.matchAll(/<tr data-number="(\d+)"/g)].map((match) => match[1]),
        [number],
      );
      assert.match(page.text, /<td>Подана<\/td>/);
      assert.ok(page.text.includes(`<td>${ESCAPED_NAME}</td>`));

      // The application, in Russian, English and Kazakh: the switch re-opens the same one.
      page = await browser.post("/console/application", { number });
      assert.match(page.text, new RegExp(`<h1>Заявка ${number}</h1>`));
      assert.match(page.text, /<option value="residence-permit">Вид на жительство<\/option>/);
      assert.match(page.text, /Подтвердить и выпустить \(подписать ключом SIGN\)/);
      assert.deepEqual(latinWords(page.text, ["script", "alert", "Ivan"]), []);
      for (const [language, title, label] of [
        ["en", `Application ${number}`, "Surname, name, patronymic"],
        ["kk", `Өтінім ${number}`, "Тегі, аты, әкесінің аты"],
      ] as const) {
        page = await switchLanguage(browser, page.text, language);
        assert.equal(page.url, "/console/application");
        assert.match(page.text, new RegExp(`<html lang="${language}">`));
        assert.match(page.text, new RegExp(`<h1>${title}</h1>`));
        assert.match(page.text, new RegExp(`<th>${label}</th>`));
        assert.match(page.text, new RegExp(`<table id="application" data-number="${number}"`));
        assert.doesNotMatch(page.text, /<script>alert/);
        assert.ok(page.text.includes(`<td>${ESCAPED_NAME}</td>`));
      }
      assert.deepEqual(latinWords(page.text, ["script", "alert", "Ivan"]), []);

      // After recording a check, the switch re-opens the application: it does not record it again.
      page = await browser.post("/console/application/identity", {
        number,
        documentType: "passport",
        documentNumber: "N1234567",
      });
      assert.match(
        page.text,
        /Тексерілді: Төлқұжат N1234567, оператор 781123301050, \d\d\.\d\d\.\d{4} \d\d:\d\d/,
      );
      assert.match(
        page.text,
        /<form method="post" action="\/lang\/ru" class="inline">[\s\S]*?name="back" value="\/console\/application"/,
      );
      page = await switchLanguage(browser, page.text, "ru");
      assert.match(page.text, /Проверено: Паспорт N1234567, оператор 781123301050/);

      // The issued application's signed decisions and revocation reasons, in Kazakh.
      await switchLanguage(browser, (await browser.page("/console/queue")).text, "kk");
      page = await browser.post("/console/application", { number: personApplication });
      assert.match(page.text, /<td>Сертификаттар шығарылды<\/td>/);
      assert.match(
        page.text,
        /<tr data-decision="\d+" data-kind="confirm">[\s\S]*?<td>Растау<\/td>[\s\S]*?<td>Орындалды<\/td>/,
      );
      assert.match(
        page.text,
        /<tr data-decision="\d+" data-kind="revoke">[\s\S]*?<td>Кері қайтарып алу<\/td>/,
      );
      assert.match(page.text, /<option value="keyCompromise">Кілттің құпиялылығы бұзылды<\/option>/);
      assert.deepEqual(latinWords(page.text), []);

      // Refusals in the operator's language, as a page and as the page script's JSON.
      await switchLanguage(browser, (await browser.page("/console/queue")).text, "ru");
      page = await browser.post("/console/queue", { iin: "12" });
      assert.equal(page.status, 422);
      assert.match(page.text, /<h1>Отказано<\/h1>/);
      assert.match(
        page.text,
        /id="console-error">Неверный ИИН: он состоит из 12 цифр с верной контрольной цифрой\.</,
      );
      const prepared = await browser.request("/console/decisions/prepare", {
        method: "POST",
        json: { kind: "bogus", application: number },
        headers: { "x-csrf-token": browser.csrfToken },
      });
      assert.equal(prepared.status, 422);
      assert.deepEqual(await prepared.json(), {
        error: "bad_decision",
        message: "Решение должно быть подтверждением, отклонением или отзывом.",
      });

      // A page reached by GET is switched by a link and comes back by GET.
      page = await switchLanguage(browser, (await browser.page("/console/queue")).text, "en");
      assert.equal(page.url, "/console/queue");
      assert.match(page.text, /<html lang="en">/);
      assert.match(page.text, /<h1>Work queue<\/h1>/);
      assert.match(
        page.text,
        /data-role="operator"\s*>Operator 781123301050 · Registration Center: Esil district, Astana city</,
      );
      const anonymous = new Browser(env.url);
      await anonymous.page("/lang/en?back=/console");
      const noSession = await anonymous.request("/console/decisions/prepare", {
        method: "POST",
        json: {},
        headers: { "x-csrf-token": anonymous.csrfToken },
      });
      assert.equal(noSession.status, 401);
      assert.deepEqual(await noSession.json(), {
        error: "no_session",
        message: "The session has ended: sign in again.",
      });

      // The posted switch keeps /lang's rules: only a path of this site, only with the page's CSRF token.
      const elsewhere = await browser.request("/lang/kk", {
        method: "POST",
        form: { _csrf: browser.csrfToken, back: "//elsewhere.example/" },
      });
      assert.equal(elsewhere.status, 307);
      assert.equal(elsewhere.headers.get("location"), "/");
      const forged = await browser.request("/lang/kk", { method: "POST", form: { back: "/console/queue" } });
      assert.equal(forged.status, 403);
    });

    test("the auditor's and the administrator's pages in Kazakh, Russian and English; adding an operator is not repeated by the switch", async () => {
      const auditor = await signedInBrowser(auditorKeys.auth);
      let page = await auditor.page("/console/audit");
      assert.match(page.text, /<html lang="kk">/);
      assert.match(page.text, /<h1>Аудит<\/h1>/);
      assert.match(
        page.text,
        /id="chain-status">\s*Консоль журналындағы жазбалар саны: \d+; хэш тізбегі бұзылмаған\./,
      );
      assert.match(page.text, /<td>Кері қайтарып алу<\/td>/);
      // The stored revocation was altered by the test before: it no longer verifies.
      const [, altered] = /<tr data-decision="(\d+)" data-kind="revoke">/.exec(page.text)!;
      page = await auditor.post("/console/audit/reverify", { id: altered! });
      assert.match(page.text, new RegExp(`№ ${altered} шешім: қолтаңба расталмады\\.`));
      const [, id] = /<tr data-decision="(\d+)" data-kind="confirm">/.exec(page.text)!;
      page = await auditor.post("/console/audit/reverify", { id: id! });
      assert.match(page.text, new RegExp(`№ ${id} шешім: қолтаңба расталды`));
      page = await switchLanguage(auditor, page.text, "en");
      assert.equal(page.url, "/console/audit/reverify");
      assert.match(page.text, new RegExp(`Decision ${id}: the signature verifies`));
      page = await switchLanguage(auditor, page.text, "ru");
      assert.match(page.text, new RegExp(`Решение № ${id}: подпись верна`));
      assert.match(page.text, /<th>Сертификат подписавшего<\/th>/);

      const adminIin = validIin("1980-02-02", "female", 5);
      await env.portal.store.savePersons([{ iin: adminIin, surname: "ӘКІМШІ", givenName: "АЙГҮЛ" }]);
      const { keys } = await enrol(adminIin, "administrator", {});
      const admin = await signedInBrowser(keys.auth);
      page = await admin.page("/console/operators");
      assert.match(page.text, /<h1>Операторлар<\/h1>/);
      assert.match(page.text, /<td>Әкімші<\/td>/);
      assert.match(page.text, /<td>Аудитор<\/td>/);
      assert.match(page.text, /<td>Белсенді<\/td>/);
      assert.deepEqual(latinWords(page.text), []);
      page = await switchLanguage(admin, page.text, "ru");
      assert.match(page.text, /<h1>Операторы<\/h1>/);
      assert.match(page.text, /<option value="supervisor">Руководитель<\/option>/);
      const before = (await env.portal.consoleStore.operators()).length;
      page = await admin.post("/console/operators", {
        iin: validIin("1991-03-03", "male", 7),
        role: "operator",
        center: CENTER,
      });
      assert.match(page.text, /Одноразовая ссылка для регистрации \(показывается один раз\): <code>http/);
      assert.match(page.text, /<td>Приглашён<\/td>/);
      assert.doesNotMatch(page.text, /action="\/lang\//, "the switch does not post the new operator again");
      page = await switchLanguage(admin, page.text, "en");
      assert.equal(page.url, "/console/operators");
      assert.match(page.text, /<h1>Operators<\/h1>/);
      assert.equal((await env.portal.consoleStore.operators()).length, before + 1);

      page = await admin.page("/console/enrol");
      assert.match(page.text, /<p id="enrol-note">Opening your enrolment…<\/p>/);
    });

    test("a revoked or expired operator certificate cannot log in", async () => {
      const later = new Date(Date.now() + 2 * 366 * 86_400_000);
      await assert.rejects(signIn(operatorKeys.auth, later), failsWith("certificate_invalid"));
      await env.portal.ca.revoke(operatorKeys.auth.serial, "affiliationChanged");
      await assert.rejects(signIn(operatorKeys.auth), failsWith("certificate_revoked"));
    });
  });
}
