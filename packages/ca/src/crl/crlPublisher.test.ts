import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeIin, toPem } from "@qoltanba/pki";
import { openCertificateAuthority, type CertificateAuthority } from "../authority.ts";
import { certificatePath } from "../caFolder.ts";
import { createCaServer, type CaServer } from "../http/server.ts";
import { CrlPublisher, crlFilePath } from "./crlPublisher.ts";
import { PublishedCrls } from "./publishedCrls.ts";
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

    test("a full CRL of more entries than one database page lists exactly the revoked serials, checked by openssl, and leaves no temporary file", async () => {
      const now = new Date().toISOString();
      const mark = await ca.store.currentRevocationMark();
      const reasons = ["keyCompromise", "superseded", "unspecified"] as const;
      const rows = Array.from({ length: 12_000 }, (_, index) => {
        const serial = randomBytes(16);
        serial[0] = (serial[0]! % 0x7f) + 1; // positive, 16 octets: the length every issued serial has
        const hex = serial.toString("hex");
        return { serial: hex, profile: "individual-auth", owner: `iin:${index}`, spki_sha256: hex, not_before: now, not_after: now, issued_at: now, der: Buffer.alloc(1), revoked_at: now, revocation_reason: reasons[index % 3]!, invalidity_date: null, revocation_seq: mark };
      });
      // Set-up only: 12,000 revocations straight into the table (what revokeCertificate writes), more than two pages' worth.
      for (let start = 0; start < rows.length; start += 400) await ca.store.db.insertInto("certificates").values(rows.slice(start, start + 400)).execute();
      const record = await server.crlPublisher!.generate("full");
      const file = crlFilePath(dir, "full");
      assert.equal(opensslResult(["crl", "-inform", "DER", "-in", file, "-noout", "-CAfile", chainFile()]).status, 0);
      const textFile = join(work, "many.txt"); // past what a pipe's buffer takes
      openssl(["crl", "-inform", "DER", "-in", file, "-noout", "-text", "-out", textFile]);
      const text = readFileSync(textFile, "utf8");
      const listed = [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((match) => match[1]!.toLowerCase());
      const revoked = [...rows.map((row) => row.serial), leaves[1]!.serial].sort();
      assert.deepEqual(listed, revoked);
      assert.equal(record.entryCount, revoked.length);
      assert.equal((text.match(/Superseded/g) ?? []).length, 4000);
      assert.deepEqual(readdirSync(join(dir, "crl")).sort(), ["issuing-delta.crl", "issuing.crl", "root.crl"]);
    });

    test("only the newest two CRLs of each kind keep their bytes in the database; the newest is still served whole", async () => {
      for (let round = 0; round < 3; round++) {
        await server.crlPublisher!.generate("full");
        await server.crlPublisher!.generate("delta");
      }
      const crls = await ca.store.db.selectFrom("crls").select(["number", "kind"]).orderBy("number", "desc").execute();
      const newestTwo = (kind: string) => crls.filter((crl) => crl.kind === kind).slice(0, 2).map((crl) => Number(crl.number));
      const kept = await ca.store.db.selectFrom("crl_parts").select("number").distinct().orderBy("number", "desc").execute();
      assert.ok(crls.length > 4, "older CRLs remain listed");
      assert.deepEqual(kept.map((row) => Number(row.number)), [...newestTwo("full"), ...newestTwo("delta")].sort((a, b) => b - a));
      const served = join(work, "served-after-pruning.crl");
      const full = await ca.store.latestCrl("full");
      const parts = [];
      for await (const part of ca.store.crlBytes(full!.number)) parts.push(part);
      writeFileSync(served, Buffer.concat(parts));
      const verified = opensslResult(["crl", "-inform", "DER", "-in", served, "-noout", "-crlnumber", "-CAfile", chainFile()]);
      assert.equal(verified.status, 0, verified.output);
      assert.match(verified.output, new RegExp(`crlNumber=0x0*${full!.number.toString(16).toUpperCase()}\\b`));
    });
  });
}

// The lock is PostgreSQL's (an SQLite file is one machine's): two nodes, each with its own copy of
// the CA folder, signing CRLs at the same moment.
describe("CRLs from two nodes on one PostgreSQL database", () => {
  const database = testDatabases().map((make) => make()).find((candidate) => candidate.engine === "postgres")!;
  const work = temporaryDirectory();
  const nodes: CertificateAuthority[] = [];
  before(async () => {
    const origin = join(work, "ca");
    await initCertificateAuthority({ dir: origin, password: TEST_PASSWORD, issuingKeyBits: 2048, databaseUrl: database.url! });
    for (const name of ["a", "b"]) {
      cpSync(origin, join(work, name), { recursive: true });
      nodes.push(await openCertificateAuthority(join(work, name), { password: TEST_PASSWORD }));
    }
  });
  after(async () => {
    for (const node of nodes) await node.close();
    await database.drop();
  });

  test("signing at once, they take turns: every CRL recorded, numbers 1, 2, 3, … without gap or repeat; each node serves the newest, whoever signed it", async () => {
    const publishers = nodes.map((node) => new CrlPublisher(node));
    const kinds = ["full", "delta", "full", "full", "delta", "delta", "full", "delta"] as const;
    const records = await Promise.all(kinds.map((kind, index) => publishers[index % 2]!.generate(kind)));
    const numbers = records.map((record) => record.number).sort((x, y) => x - y);
    // The first delta finds no full CRL yet only if it is signed before every full one: then it makes one first.
    const recorded = (await nodes[0]!.store.db.selectFrom("crls").select("number").orderBy("number").execute()).map((row) => Number(row.number));
    assert.deepEqual(recorded, Array.from({ length: recorded.length }, (_, index) => index + 1));
    assert.ok(recorded.length === kinds.length || recorded.length === kinds.length + 1, `${recorded.length} CRLs for ${kinds.length} requests`);
    for (const number of numbers) assert.ok(recorded.includes(number));
    const chain = join(work, "chain.pem");
    writeFileSync(chain, toPem("CERTIFICATE", nodes[0]!.certificates.root) + toPem("CERTIFICATE", nodes[0]!.certificates.issuing));
    for (const kind of ["full", "delta"] as const) {
      const newest = (await nodes[0]!.store.latestCrl(kind))!;
      for (const [index, node] of nodes.entries()) {
        const served = (await new PublishedCrls(node).current(kind))!;
        try {
          assert.equal(served.number, BigInt(newest.number), `node ${index} serves the newest ${kind} CRL`);
          const file = join(work, `served-${index}-${kind}.crl`);
          writeFileSync(file, await served.file.readFile());
          const verified = opensslResult(["crl", "-inform", "DER", "-in", file, "-noout", "-crlnumber", "-CAfile", chain]);
          assert.equal(verified.status, 0, verified.output);
          assert.equal(verified.output.trim(), `crlNumber=0x${newest.number.toString(16).toUpperCase().padStart(2, "0")}`);
        } finally {
          await served.file.close();
        }
      }
    }
  });

  test("bytes in the database that do not match the recorded digest are not served: the node keeps its copy", async () => {
    const [signer, other] = nodes as [CertificateAuthority, CertificateAuthority];
    const servedNumber = async () => {
      const served = (await new PublishedCrls(other).current("full"))!;
      await served.file.close();
      return served.number;
    };
    const good = await new CrlPublisher(signer).generate("full");
    assert.equal(await servedNumber(), BigInt(good.number));
    const tampered = await new CrlPublisher(signer).generate("full");
    await signer.store.db.updateTable("crl_parts").set({ bytes: Buffer.from("not the signed CRL") }).where("number", "=", tampered.number).execute();
    assert.equal(await servedNumber(), BigInt(good.number), "the CRL whose bytes were changed is refused");
  });
});
