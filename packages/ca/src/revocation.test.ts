import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeIin } from "@qoltanba/pki";
import { openCertificateAuthority, type CertificateAuthority } from "./authority.ts";
import { verifyAuditChain } from "./audit.ts";
import { initCertificateAuthority } from "./init.ts";
import { CertificateIssuer } from "./issuance.ts";
import { revokeCertificate, type RevocationResult } from "./revocation.ts";
import { opensslCsr, temporaryDirectory, testDatabases, TEST_PASSWORD } from "./testSupport.ts";

const collect = async <T>(items: AsyncIterable<T[]>) => {
  const all: T[] = [];
  for await (const page of items) all.push(...page);
  return all;
};

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`revocation on ${database.engine}`, () => {
    let ca: CertificateAuthority;
    let serials: string[];

    before(async () => {
      const work = temporaryDirectory();
      const dir = join(work, "ca");
      await initCertificateAuthority({ dir, password: TEST_PASSWORD, ...(database.url ? { databaseUrl: database.url } : {}) });
      ca = await openCertificateAuthority(dir, { password: TEST_PASSWORD });
      const issuer = new CertificateIssuer(ca);
      const subject = { iin: makeIin(new Date(Date.UTC(1970, 2, 8)), "female", 12)!, surname: "СЕРІКОВА", givenName: "ДИНА" };
      serials = [];
      for (let index = 0; index < 4; index++) {
        serials.push((await issuer.issueCertificate({ csr: opensslCsr(work, `r${index}`).csr, profile: "individual-sign", subject })).serial);
      }
    });
    after(async () => {
      await ca.close();
      await database.drop();
    });

    test("revoking records time and reason; revoking twice is an error that changes nothing", async () => {
      const invalidityDate = new Date(Date.now() - 3600_000);
      const listened: RevocationResult[] = [];
      const result = await revokeCertificate(ca, { serial: serials[0]!.toUpperCase().replace(/(..)(?!$)/g, "$1:"), reason: "keyCompromise", invalidityDate }, [(change) => listened.push(change)]);
      assert.equal(result.serial, serials[0]);
      assert.equal(listened.length, 1);
      const stored = await ca.store.certificate(serials[0]!);
      assert.equal(stored?.revocationReason, "keyCompromise");
      assert.equal(stored?.invalidityDate?.getTime(), Math.floor(invalidityDate.getTime()));
      const head = await ca.store.auditHead();
      await assert.rejects(revokeCertificate(ca, { serial: serials[0]!, reason: "superseded" }), /already revoked/);
      assert.deepEqual(await ca.store.auditHead(), head);
      assert.equal((await ca.store.certificate(serials[0]!))?.revocationReason, "keyCompromise");
      let lastAction: string | undefined;
      for await (const entry of ca.store.auditEntries()) lastAction = entry.action;
      assert.equal(lastAction, "revoke");
    });

    test("hold, release with removeFromCRL, and hold made permanent", async () => {
      const [, held, released] = serials as [string, string, string];
      await revokeCertificate(ca, { serial: held, reason: "certificateHold" });
      await assert.rejects(revokeCertificate(ca, { serial: held, reason: "certificateHold" }), /already on hold/);
      const permanent = await revokeCertificate(ca, { serial: held, reason: "cessationOfOperation" });
      assert.equal(permanent.reason, "cessationOfOperation");
      const holdSeq = (await revokeCertificate(ca, { serial: released, reason: "certificateHold" })).seq;
      await revokeCertificate(ca, { serial: released, reason: "removeFromCRL" });
      await assert.rejects(revokeCertificate(ca, { serial: serials[3]!, reason: "removeFromCRL" }), /not on hold/);

      const full = (await collect(ca.store.revokedCertificatePages({ pageSize: 1 }))).map((entry) => entry.serial);
      assert.deepEqual(full, [serials[0], held].sort(), "a released hold is off the full CRL");
      const delta = await collect(ca.store.revokedCertificatePages({ changedAfterSeq: holdSeq - 1 }));
      assert.deepEqual(delta.map((entry) => [entry.serial, entry.reason]), [[released, "removeFromCRL"]], "the delta lists the release");
      const states = await ca.store.revocationStates([held, serials[3]!, "ff"]);
      assert.equal(states.get(held)?.reason, "cessationOfOperation");
      assert.deepEqual(states.get(serials[3]!), {});
      assert.equal(states.has("ff"), false);
    });

    test("bad requests name the problem and change nothing", async () => {
      const head = await ca.store.auditHead();
      await assert.rejects(revokeCertificate(ca, { serial: "abcdef", reason: "keyCompromise" }), /no certificate with serial abcdef/);
      await assert.rejects(revokeCertificate(ca, { serial: "xyz", reason: "keyCompromise" }), /not a hexadecimal serial/);
      await assert.rejects(revokeCertificate(ca, { serial: serials[3]!, reason: "because" }), /unknown revocation reason "because"/);
      await assert.rejects(revokeCertificate(ca, { serial: serials[3]!, reason: "aACompromise" }), /not used by this CA/);
      await assert.rejects(revokeCertificate(ca, { serial: serials[3]!, reason: "keyCompromise", invalidityDate: new Date(Date.now() + 86400_000) }), /future/);
      assert.deepEqual(await ca.store.auditHead(), head);
      assert.deepEqual((await verifyAuditChain(ca.store.auditEntries(), head)).problems, []);
    });
  });
}
