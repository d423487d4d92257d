// The console's operations against a real CA on both engines, with every signature made by OpenSSL
// (`openssl cms -sign`) with keys whose certificates the CA issued through the enrollment, and the
// revocation checked with `openssl ocsp` against the CA's own responder.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { verifyAuditChain } from "@qoltanba/ca";
import { REGISTRATION_CENTERS } from "../locality/regions.ts";
import type { Operator } from "../storage/consoleStore.ts";
import {
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
} from "../testSupport.ts";
import { Forbidden } from "./roles.ts";


const OPERATOR_IIN = "781123301050";
const AUDITOR_IIN = "650509300448";
const OTHER_PERSON_IIN = "850702400128";
const CENTER = "astana.esil.rc";
const OTHER_CENTER = REGISTRATION_CENTERS.find((center) => center.region === "almaty")!.code;

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

    test("a revoked or expired operator certificate cannot log in", async () => {
      const later = new Date(Date.now() + 2 * 366 * 86_400_000);
      await assert.rejects(signIn(operatorKeys.auth, later), failsWith("certificate_invalid"));
      await env.portal.ca.revoke(operatorKeys.auth.serial, "affiliationChanged");
      await assert.rejects(signIn(operatorKeys.auth), failsWith("certificate_revoked"));
    });
  });
}
