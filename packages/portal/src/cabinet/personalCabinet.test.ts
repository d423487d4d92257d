// The personal cabinet against a real CA on both engines, every signature made by OpenSSL
// (`openssl cms -sign`) with keys whose certificates the CA issued through the portal: login,
// the person's certificates, signed revocation (checked with `openssl ocsp`), signed renewal, and
// the refusals: an operator's session, someone else's certificate, a revoked or another person's
// signer, a replayed signature.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { verifyAuditChain } from "@qoltanba/ca";
import {
  csrPair,
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
import { CABINET_AUDIENCE, type CabinetSession } from "./personalCabinet.ts";


const OTHER_IIN = "850702400128";
const OPERATOR_IIN = "781123301050";
const CENTER = "astana.esil.rc";

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`the personal cabinet on ${database.engine}`, () => {
    const work = temporaryDirectory("qoltanba-cabinet-");
    let env: TestPortal;

    before(async () => {
      env = await startTestPortal(database);
    });
    after(() => env?.close());

    /** An application submitted and confirmed (as a Registration Center does), with OpenSSL's keys. */
    const issuedPerson = async (iin: string): Promise<{ number: string; auth: TestKey; sign: TestKey }> => {
      const { number, csrs } = await submitApplication(env.portal, iin, CENTER, work);
      await env.portal.lifecycle.confirmApplication(number, "test");
      return { number, ...(await issuedKeys(env.portal, number, csrs, work)) };
    };

    const signIn = async (key: TestKey) => {
      const challenge = await env.portal.cabinet.challenge();
      const { token } = await env.portal.cabinet.signIn(
        opensslSign(Buffer.from(challenge.data, "base64"), key),
      );
      return { token, session: (await env.portal.cabinet.session(token))! };
    };

    const ocsp = (serial: string, expected: RegExp) => opensslOcsp(env, serial, expected, work);

    let person: Awaited<ReturnType<typeof issuedPerson>>;
    let other: Awaited<ReturnType<typeof issuedPerson>>;
    let session: CabinetSession;
    let renewedSign: TestKey;

    test("a person logs in with their AUTH key and sees their own certificates and applications", async () => {
      person = await issuedPerson(PERSON.iin);
      other = await issuedPerson(OTHER_IIN);
      ({ session } = await signIn(person.auth));
      assert.deepEqual(session, { iin: PERSON.iin, serial: person.auth.serial });
      const certificates = await env.portal.cabinet.certificates(session);
      assert.deepEqual(
        certificates.map((certificate) => [certificate.serial, certificate.purpose, certificate.state]),
        [
          [person.auth.serial, "auth", "valid"],
          [person.sign.serial, "sign", "valid"],
        ],
      );
      const later = new Date(certificates[0]!.notAfter.getTime() - 10 * 86_400_000);
      assert.equal((await env.portal.cabinet.certificates(session, later))[0]!.state, "expiring");
      assert.deepEqual(
        (await env.portal.cabinet.applications(session)).map((application) => application.number),
        [person.number],
      );
    });

    test("refused at the door: a SIGN key, a console login, an operator's session token, a replayed login", async () => {
      const challenge = await env.portal.cabinet.challenge();
      await assert.rejects(
        env.portal.cabinet.signIn(opensslSign(Buffer.from(challenge.data, "base64"), person.sign)),
        failsWith("certificate_invalid"),
      );
      // A login signed for the console does not open the cabinet, and the reverse.
      const consoleChallenge = await env.portal.console.challenge();
      const consoleLogin = opensslSign(Buffer.from(consoleChallenge.data, "base64"), person.auth);
      await assert.rejects(env.portal.cabinet.signIn(consoleLogin), failsWith("bad_login_document"));
      const cabinetChallenge = await env.portal.cabinet.challenge();
      assert.match(cabinetChallenge.document, new RegExp(`"audience":"${CABINET_AUDIENCE}"`));
      const cabinetLogin = opensslSign(Buffer.from(cabinetChallenge.data, "base64"), person.auth);
      await assert.rejects(env.portal.console.signIn(cabinetLogin), failsWith("bad_login_document"));
      // An operator's console session is no cabinet session, and a cabinet session no console one.
      const { link } = await env.portal.console.operators.add({
        iin: OPERATOR_IIN,
        role: "operator",
        center: CENTER,
        createdBy: "cli",
        baseUrl: env.url,
      });
      const { number, csrs } = await submitApplication(env.portal, OPERATOR_IIN, CENTER, work);
      await env.portal.console.operators.enrol(
        link.split("#").pop()!,
        (await env.portal.store.application(number))!,
      );
      const operatorAuth = (await issuedKeys(env.portal, number, csrs, work)).auth;
      const operatorChallenge = await env.portal.console.challenge();
      const operatorSession = await env.portal.console.signIn(
        opensslSign(Buffer.from(operatorChallenge.data, "base64"), operatorAuth),
      );
      assert.equal(await env.portal.cabinet.session(operatorSession.token), undefined);
      const { token } = await signIn(person.auth);
      assert.equal(await env.portal.console.session(token), undefined);
      // A replayed login signature.
      const replay = await env.portal.cabinet.challenge();
      const signature = opensslSign(Buffer.from(replay.data, "base64"), person.auth);
      await env.portal.cabinet.signIn(signature);
      await assert.rejects(env.portal.cabinet.signIn(signature), failsWith("nonce_used"));
    });

    test("renewal signed with the current SIGN key: issued at once, no visit; the old certificates stay valid", async () => {
      const number = env.portal.cabinet.renewalNumber();
      const keys = csrPair(work);
      const renewal = { number, storage: "file", authCsr: keys.auth, signCsr: keys.sign };
      const prepared = await env.portal.cabinet.prepareRenewal(session, renewal);
      assert.equal(prepared.signer, person.sign.serial);
      const signature = opensslSign(Buffer.from(prepared.data, "base64"), person.sign);
      // Other keys than the ones signed for change nothing.
      const swapped = csrPair(work);
      await assert.rejects(
        env.portal.cabinet.submitRenewal(
          session,
          opensslSign(
            Buffer.from((await env.portal.cabinet.prepareRenewal(session, renewal)).data, "base64"),
            person.sign,
          ),
          { authCsr: swapped.auth, signCsr: swapped.sign },
        ),
        failsWith("keys_differ"),
      );
      // Signed with another person's SIGN key: refused.
      await assert.rejects(
        env.portal.cabinet.submitRenewal(
          session,
          opensslSign(
            Buffer.from((await env.portal.cabinet.prepareRenewal(session, renewal)).data, "base64"),
            other.sign,
          ),
          { authCsr: keys.auth, signCsr: keys.sign },
        ),
        failsWith("wrong_signer"),
      );
      assert.equal(await env.portal.store.application(number), undefined);
      const { action } = await env.portal.cabinet.submitRenewal(session, signature, {
        authCsr: keys.auth,
        signCsr: keys.sign,
      });
      assert.equal(action.outcome, "applied");
      const renewed = (await env.portal.store.application(number))!;
      assert.equal(renewed.status, "issued");
      renewedSign = (await issuedKeys(env.portal, number, keys, work)).sign;
      assert.equal(renewed.operator, `cabinet:${person.sign.serial}`);
      await assert.rejects(
        env.portal.cabinet.submitRenewal(session, signature, { authCsr: keys.auth, signCsr: keys.sign }),
        failsWith("nonce_used"),
      );
      const states = await env.portal.cabinet.certificates(session);
      assert.deepEqual(
        states.map((certificate) => [certificate.serial, certificate.state]),
        [
          [renewed.authSerial, "valid"],
          [renewed.signSerial, "valid"],
          [person.auth.serial, "valid"],
          [person.sign.serial, "valid"],
        ],
      );
      assert.match(await ocsp(person.sign.serial, /: good/), /: good/);
      assert.deepEqual(await env.portal.store.outbox(number), [
        { kind: "issued", outcome: null, attempts: 0 },
      ]);
    });

    test("revocation signed with the SIGN key: OCSP says revoked; someone else's certificate, a revoked or another person's signer, a replay are refused", async () => {
      await assert.rejects(
        env.portal.cabinet.prepareRevocation(session, { serial: other.auth.serial, reason: "keyCompromise" }),
        failsWith("not_yours"),
      );
      await assert.rejects(
        env.portal.cabinet.prepareRevocation(session, { serial: person.sign.serial, reason: "whim" }),
        failsWith("bad_reason"),
      );
      // Signed by another person's SIGN key: refused, nothing revoked.
      const prepared = await env.portal.cabinet.prepareRevocation(session, {
        serial: person.sign.serial,
        reason: "superseded",
      });
      await assert.rejects(
        env.portal.cabinet.submitRevocation(
          session,
          opensslSign(Buffer.from(prepared.data, "base64"), other.sign),
        ),
        failsWith("wrong_signer"),
      );
      assert.equal((await env.portal.ca.certificate(person.sign.serial))!.revokedAt, undefined);
      // The other person cannot spend this person's prepared revocation either.
      const { session: otherSession } = await signIn(other.auth);
      const again = await env.portal.cabinet.prepareRevocation(session, {
        serial: person.sign.serial,
        reason: "superseded",
      });
      await assert.rejects(
        env.portal.cabinet.submitRevocation(
          otherSession,
          opensslSign(Buffer.from(again.data, "base64"), other.sign),
        ),
        failsWith("bad_signed_document"),
      );
      // The old SIGN certificate, revoked by a signature with the new one (the newest valid SIGN key).
      const revoke = await env.portal.cabinet.prepareRevocation(session, {
        serial: person.sign.serial,
        reason: "superseded",
      });
      assert.equal(revoke.signer, renewedSign.serial);
      // Another SIGN key of the person than the one the document names: refused.
      await assert.rejects(
        env.portal.cabinet.submitRevocation(
          session,
          opensslSign(Buffer.from(revoke.data, "base64"), person.sign),
        ),
        failsWith("bad_signed_document"),
      );
      const revocation = await env.portal.cabinet.prepareRevocation(session, {
        serial: person.sign.serial,
        reason: "superseded",
      });
      const signature = opensslSign(Buffer.from(revocation.data, "base64"), renewedSign);
      const action = await env.portal.cabinet.submitRevocation(session, signature);
      assert.equal(action.outcome, "applied");
      assert.equal(action.certificateSerial, person.sign.serial);
      const answer = await ocsp(person.sign.serial, /: revoked/);
      assert.match(answer, /: revoked/);
      assert.match(answer, /Reason: superseded/);
      await assert.rejects(env.portal.cabinet.submitRevocation(session, signature), failsWith("nonce_used"));
      await assert.rejects(
        env.portal.cabinet.prepareRevocation(session, {
          serial: person.sign.serial,
          reason: "keyCompromise",
        }),
        failsWith("already_revoked"),
      );
      // A renewal signed with the revoked key is refused, and creates nothing.
      const number = env.portal.cabinet.renewalNumber();
      const keys = csrPair(work);
      const prepared2 = await env.portal.cabinet.prepareRenewal(session, {
        number,
        storage: "file",
        authCsr: keys.auth,
        signCsr: keys.sign,
      });
      await assert.rejects(
        env.portal.cabinet.submitRenewal(
          session,
          opensslSign(Buffer.from(prepared2.data, "base64"), person.sign),
          { authCsr: keys.auth, signCsr: keys.sign },
        ),
        failsWith("certificate_revoked"),
      );
      assert.equal(await env.portal.store.application(number), undefined);
      // Revoking the login certificate ends the session.
      const own = await env.portal.cabinet.prepareRevocation(session, {
        serial: person.auth.serial,
        reason: "keyCompromise",
      });
      const { token } = await signIn(person.auth);
      await env.portal.cabinet.submitRevocation(
        session,
        opensslSign(Buffer.from(own.data, "base64"), renewedSign),
      );
      assert.equal(await env.portal.cabinet.session(token), undefined);
      // Every action is in the console log, whose chain verifies; so does the CA's.
      const entries = [];
      for await (const entry of env.portal.consoleStore.auditEntries()) entries.push(entry.action);
      assert.deepEqual(
        entries.filter((entry) => entry.startsWith("cabinet-") && entry !== "cabinet-login"),
        ["cabinet-renew", "cabinet-revoke", "cabinet-revoke"],
      );
      assert.deepEqual((await env.portal.console.verifyAudit()).problems, []);
      assert.deepEqual(
        (await verifyAuditChain(env.ca.store.auditEntries(), await env.ca.store.auditHead())).problems,
        [],
      );
    });
  });
}
