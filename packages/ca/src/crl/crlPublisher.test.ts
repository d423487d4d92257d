import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeIin, toPem } from "@qoltanba/pki";
import { openCertificateAuthority, type CertificateAuthority } from "../authority.ts";
import { certificatePath } from "../caFolder.ts";
import { createCaServer, type CaServer } from "../http/server.ts";
import { initCertificateAuthority } from "../init.ts";
import { CertificateIssuer } from "../issuance.ts";
import { revokeCertificate } from "../revocation.ts";
import { openssl, opensslCsr, opensslResult, temporaryDirectory, testDatabases, TEST_PASSWORD } from "../testSupport.ts";

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`CRLs on ${database.engine}`, () => {
    let work: string;
    let dir: string;
    let ca: CertificateAuthority;
    let server: CaServer;
    let base: string;
    const leaves: Array<{ serial: string; path: string }> = [];

    before(async () => {
      work = temporaryDirectory();
      dir = join(work, "ca");
      await initCertificateAuthority({ dir, password: TEST_PASSWORD, ...(database.url ? { databaseUrl: database.url } : {}) });
      ca = await openCertificateAuthority(dir, { password: TEST_PASSWORD });
      const issuer = new CertificateIssuer(ca);
      const subject = { iin: makeIin(new Date(Date.UTC(1988, 8, 9)), "male", 77)!, surname: "ЖАНДАРБЕКОВ", givenName: "АЛМАС" };
      for (let index = 0; index < 3; index++) {
        const issued = await issuer.issueCertificate({ csr: opensslCsr(work, `leaf${index}`).csr, profile: "individual-auth", subject });
        const path = join(work, `leaf${index}.pem`);
        writeFileSync(path, toPem("CERTIFICATE", issued.certificate));
        leaves.push({ serial: issued.serial, path });
      }
      server = await createCaServer(ca, { crlSchedule: { fullValidityMinutes: 60, fullIntervalMinutes: 30, deltaValidityMinutes: 10, deltaIntervalMinutes: 5, deltaDelayMilliseconds: 10 }, revocationPollMilliseconds: 50 });
      base = await server.app.listen({ host: "127.0.0.1", port: 0 });
    });
    after(async () => {
      await server.close();
      await ca.close();
      await database.drop();
    });

    const fetchCrl = async (path: string, name: string) => {
      const response = await fetch(base + path);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("content-type"), "application/pkix-crl");
      const file = join(work, name);
      writeFileSync(file, Buffer.from(await response.arrayBuffer()));
      return { file, response };
    };
    const chainFile = () => {
      const path = join(work, "chain.pem");
      writeFileSync(path, openssl(["x509", "-in", certificatePath(dir, "root")]).toString() + openssl(["x509", "-in", certificatePath(dir, "issuing")]).toString());
      return path;
    };
    const verifyLeaf = (leaf: string, crls: string[], deltas = false) =>
      opensslResult(["verify", "-crl_check", ...(deltas ? ["-use_deltas"] : []), "-CAfile", chainFile(), ...crls.flatMap((crl) => ["-CRLfile", crl]), leaf]);

    test("the published full, delta and root CRLs verify with openssl and carry caching headers", async () => {
      const full = await fetchCrl("/crl/issuing.crl", "full.crl");
      assert.equal(opensslResult(["crl", "-inform", "DER", "-in", full.file, "-noout", "-CAfile", chainFile()]).status, 0);
      const text = openssl(["crl", "-inform", "DER", "-in", full.file, "-noout", "-text"]).toString();
      assert.match(text, /X509v3 CRL Number:\s+\d+/);
      assert.match(text, /Freshest CRL/);
      const maxAge = Number(/max-age=(\d+)/.exec(full.response.headers.get("cache-control") ?? "")?.[1]);
      assert.ok(maxAge > 3000 && maxAge <= 3600, `max-age ${maxAge}`);
      assert.ok(full.response.headers.get("last-modified"));
      const etag = full.response.headers.get("etag")!;
      assert.equal((await fetch(base + "/crl/issuing.crl", { headers: { "if-none-match": etag } })).status, 304);
      const root = await fetchCrl("/crl/root.crl", "root.crl");
      assert.equal(opensslResult(["crl", "-inform", "DER", "-in", root.file, "-noout", "-CAfile", certificatePath(dir, "root")]).status, 0);
      const delta = await fetchCrl("/crl/issuing-delta.crl", "delta.crl");
      assert.match(openssl(["crl", "-inform", "DER", "-in", delta.file, "-noout", "-text"]).toString(), /Delta CRL Indicator: critical/);
      const good = verifyLeaf(leaves[0]!.path, [root.file, full.file]);
      assert.equal(good.status, 0, good.output);
    });

    test("a revocation reaches the delta CRL within a second; the next full CRL lists it with its reason", async () => {
      const before = await ca.store.latestCrl("delta");
      await revokeCertificate(ca, { serial: leaves[1]!.serial, reason: "keyCompromise", invalidityDate: new Date(Date.now() - 60_000) });
      const deadline = Date.now() + 5000;
      while ((await ca.store.latestCrl("delta"))?.number === before?.number && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const root = (await fetchCrl("/crl/root.crl", "root2.crl")).file;
      const full = (await fetchCrl("/crl/issuing.crl", "full2.crl")).file;
      const delta = (await fetchCrl("/crl/issuing-delta.crl", "delta2.crl")).file;
      const deltaText = openssl(["crl", "-inform", "DER", "-in", delta, "-noout", "-text"]).toString();
      assert.match(deltaText, new RegExp(`Serial Number: ${leaves[1]!.serial.toUpperCase()}[\\s\\S]*Key Compromise[\\s\\S]*Invalidity Date`));
      assert.match(verifyLeaf(leaves[1]!.path, [root, full, delta], true).output, /certificate revoked/);
      assert.equal(verifyLeaf(leaves[1]!.path, [root, full]).status, 0, "the old full CRL does not list it yet");
      await server.crlPublisher!.generate("full");
      const newFull = (await fetchCrl("/crl/issuing.crl", "full3.crl")).file;
      assert.match(verifyLeaf(leaves[1]!.path, [root, newFull]).output, /certificate revoked/);
      assert.equal(verifyLeaf(leaves[2]!.path, [root, newFull]).status, 0);
      const audit = [];
      for await (const entry of ca.store.auditEntries()) audit.push(entry.action);
      assert.ok(audit.filter((action) => action === "crl").length >= 4);
    });
  });
}
