// Three nodes, as separate machines behind a load balancer would run them: `qoltanba serve`
// processes on their own ports, each with its own copy of the CA folder, sharing one PostgreSQL
// database. A and B hold every online key; C only the OCSP and TSA keys (a status node: no
// issuing key, so it neither issues nor signs CRLs). Checked with openssl: one CRL sequence
// whichever node signs, the same CRLs and OCSP answers from all, applications started on one node
// and finished on another.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CertificateIssuer, initCertificateAuthority, openCertificateAuthority, type CertificateAuthority } from "@qoltanba/ca";
import { inProcessCaClient, Portal } from "@qoltanba/portal";
import { toPem } from "@qoltanba/pki";
import { cutPostgresConnections, temporaryDirectory, testDatabases, TEST_PASSWORD } from "../../ca/src/testSupport.ts";
import { Browser, captchaAnswer, csrPair, DEMO_PERSONS, PERSON } from "../../portal/src/testSupport.ts";
import { BIN, eventually, freePort, run, startServe, stopServe } from "./testSupport.ts";

const database = testDatabases().map((make) => make()).find((candidate) => candidate.engine === "postgres")!;
// Names the nodes' connections, so the test can cut exactly those.
const APPLICATION_NAME = `qoltanba_${database.url!.split("schema=")[1]}`;
// What a node learns from the database takes a poll (1 s) and a signature; a loaded CI machine gets room.
const PROPAGATION_MILLISECONDS = 15_000;

describe("three serve nodes on one PostgreSQL database", () => {
  const work = temporaryDirectory("qoltanba-multinode-");
  const path = (name: string) => join(work, name);
  const nodes: Array<{ name: string; dir: string; url: string; server?: ChildProcess }> = [];
  let ca: CertificateAuthority; // node B's folder, opened by the test as its Registration Center would
  let portal: Portal;
  const files = { root: path("root.pem"), issuing: path("issuing.pem"), ocsp: path("ocsp.pem"), chain: path("chain.pem") };
  let signCertificate: { serial: string; path: string };
  let applicationNumber: string;

  const crlNumbers = async () =>
    (await ca.store.db.selectFrom("crls").select(["number", "kind"]).orderBy("number").execute()).map((row) => Number(row.number));
  const fetchCrl = async (url: string, name: string) => {
    const response = await fetch(`${url}/crl/${name}`);
    assert.equal(response.status, 200, `${url}/crl/${name}`);
    return Buffer.from(await response.arrayBuffer());
  };
  /** `openssl crl -verify` against the chain; returns the CRL's text. */
  const verifiedCrl = (der: Buffer, name: string) => {
    writeFileSync(path(name), der);
    const verified = run("openssl", ["crl", "-inform", "DER", "-in", path(name), "-CAfile", files.chain, "-noout", "-text"]);
    assert.equal(verified.status, 0, verified.output);
    assert.match(verified.output, /verify OK/, name);
    return verified.output;
  };
  const ocsp = (url: string, certificate: string, nonce = "-no_nonce") =>
    run("openssl", ["ocsp", "-url", `${url}/ocsp`, "-issuer", files.issuing, "-cert", certificate, "-VAfile", files.ocsp, nonce]).output;
  const status = async (url: string) => {
    const visitor = new Browser(url);
    await visitor.page("/status");
    return visitor.post("/status", { number: applicationNumber, iin: PERSON.iin });
  };

  before(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const origin = path("ca");
    // The certificates name node A's URL, as they would name the load balancer's.
    await initCertificateAuthority({ dir: origin, password: TEST_PASSWORD, issuingKeyBits: 2048, baseUrl: `http://127.0.0.1:${ports[0]}`, databaseUrl: `${database.url!}&application_name=${APPLICATION_NAME}` });
    for (const [index, name] of ["A", "B", "C"].entries()) {
      const dir = path(`node${name}`);
      cpSync(origin, dir, { recursive: true });
      nodes.push({ name, dir, url: `http://127.0.0.1:${ports[index]}` });
    }
    for (const key of ["root", "issuing"]) rmSync(join(nodes[2]!.dir, "keys", `${key}.key.pem`));
    const env = { ...process.env, QOLTANBA_KEY_PASSWORD: TEST_PASSWORD, QOLTANBA_PERSONS: DEMO_PERSONS };
    // Started together: A and B race to make the first CRLs.
    const started = await Promise.all(nodes.map((node) => startServe(["--dir", node.dir, "--listen", new URL(node.url).host], env)));
    started.forEach(({ server, url }, index) => {
      nodes[index]!.server = server;
      assert.equal(url, nodes[index]!.url);
    });
    assert.match(started[0]!.log, /signing on this node with the CA's issuing, ocsp, tsa key\(s\)/);
    assert.match(started[2]!.log, /signing on this node with the CA's ocsp, tsa key\(s\)/);
    ca = await openCertificateAuthority(nodes[1]!.dir, { password: TEST_PASSWORD });
    portal = await Portal.open({ ca: inProcessCaClient(ca), databaseUrl: database.url!, baseDir: nodes[1]!.dir });
    for (const name of ["root", "issuing", "ocsp"] as const) writeFileSync(files[name], toPem("CERTIFICATE", ca.certificates[name]));
    writeFileSync(files.chain, readFileSync(files.root, "utf8") + readFileSync(files.issuing, "utf8"));
  });

  after(async () => {
    await Promise.all(nodes.map((node) => stopServe(node.server)));
    await portal?.close();
    await ca?.close();
    await database.drop();
  });

  test("started together, A and B sign one full and one delta CRL between them, and every node serves them", async () => {
    assert.deepEqual(await crlNumbers(), [1, 2], "one full CRL (1) and one delta (2), not one each per node");
    const crlAudit = [];
    for await (const entry of ca.store.auditEntries()) if (entry.action === "crl" && entry.details.includes('"issuing"')) crlAudit.push(entry);
    assert.equal(crlAudit.length, 2, "each CRL audited once");
    for (const name of ["issuing.crl", "issuing-delta.crl"]) {
      const [fromA, ...others] = await Promise.all(nodes.map((node) => fetchCrl(node.url, name)));
      for (const [index, other] of others.entries()) assert.deepEqual(other, fromA!, `${name}: node ${nodes[index + 1]!.name} serves node A's`);
      assert.match(verifiedCrl(fromA!, name), name === "issuing.crl" ? /CRL Number:\s+1\n/ : /CRL Number:\s+2\n[\s\S]*Delta CRL Indicator: critical\s+1\n/);
    }
  });

  test("an application begun on node A and submitted on node B (one browser, no sticky sessions) is looked up and confirmed on the other", async () => {
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const browser = new Browser(a.url);
    await browser.page("/individuals");
    // Each form is posted to the other node than the one whose page carried its CSRF token.
    const agreed = await browser.post(`${b.url}/apply`, { agree: "yes" });
    assert.equal(agreed.url, "/apply/identity", "node B accepted node A's CSRF token");
    const { id, answer } = await captchaAnswer(portal, agreed.text);
    const details = await browser.post(`${b.url}/apply/identity`, { captchaId: id, captcha: answer, iin: PERSON.iin });
    assert.equal(details.url, "/apply/details", "node A knows the identity check made on node B");
    const csrs = csrPair(work);
    const submitted = await browser.request(`${b.url}/apply/submit`, {
      method: "POST",
      headers: { "x-csrf-token": browser.csrfToken },
      json: {
        iin: PERSON.iin,
        email: "multi@example.kz",
        emailRepeat: "multi@example.kz",
        region: "almaty",
        locality: "almaty.bostandyk",
        center: "almaty.bostandyk.rc",
        storage: "file",
        authCsr: csrs.auth,
        signCsr: csrs.sign,
      },
    });
    assert.equal(submitted.status, 200, await submitted.clone().text());
    const { number } = (await submitted.json()) as { number: string };
    applicationNumber = number;
    for (const node of nodes) assert.match((await status(node.url)).text, /data-status="submitted"/, `node ${node.name} finds it`);

    const issued = await portal.lifecycle.confirmApplication(number, "operator on node B");
    const onA = await status(a.url);
    assert.match(onA.text, /data-status="issued"/);
    assert.match(onA.text, new RegExp(issued.sign.serial));
    signCertificate = { serial: issued.sign.serial, path: path("sign.pem") };
    writeFileSync(signCertificate.path, toPem("CERTIFICATE", issued.sign.certificate));
    const verified = run("openssl", ["verify", "-CAfile", files.chain, signCertificate.path]);
    assert.equal(verified.status, 0, verified.output);
    for (const node of nodes) {
      const answer = ocsp(node.url, signCertificate.path);
      assert.match(answer, /Response verify OK/, `node ${node.name}`);
      assert.match(answer, /sign\.pem: good/, `node ${node.name}`);
    }
  });

  test("a revocation made on node A: every node's OCSP says revoked within seconds, node B serves the delta CRL listing it, the numbers have no gap", async () => {
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const before = await crlNumbers();
    const revoked = run(process.execPath, [BIN, "ca", "revoke", "--dir", a.dir, "--serial", signCertificate.serial, "--reason", "keyCompromise"]);
    assert.equal(revoked.status, 0, revoked.output);
    for (const node of nodes) {
      await eventually(`node ${node.name} answering revoked`, () => /sign\.pem: revoked[\s\S]*Reason: keyCompromise/.test(ocsp(node.url, signCertificate.path)), PROPAGATION_MILLISECONDS);
    }
    const serialPattern = new RegExp(`Serial Number: ${signCertificate.serial.toUpperCase()}[\\s\\S]*Key Compromise`);
    let delta = Buffer.alloc(0);
    await eventually("node B serving a delta CRL with the revocation", async () => {
      delta = await fetchCrl(b.url, "issuing-delta.crl");
      return serialPattern.test(verifiedCrl(delta, "delta-after.crl"));
    }, PROPAGATION_MILLISECONDS);
    for (const node of [a, nodes[2]!]) {
      await eventually(`node ${node.name} serving the same delta CRL`, async () => (await fetchCrl(node.url, "issuing-delta.crl")).equals(delta), PROPAGATION_MILLISECONDS);
    }

    const full = await fetchCrl(b.url, "issuing.crl");
    verifiedCrl(full, "full-after.crl");
    writeFileSync(path("root.crl"), await fetchCrl(b.url, "root.crl"));
    const checked = run("openssl", [
      "verify", "-crl_check", "-use_deltas", "-CAfile", files.chain,
      "-CRLfile", path("root.crl"), "-CRLfile", path("full-after.crl"), "-CRLfile", path("delta-after.crl"), signCertificate.path,
    ]);
    assert.match(checked.output, /certificate revoked/);

    const after = await crlNumbers();
    assert.deepEqual(after, Array.from({ length: after.length }, (_, index) => index + 1), "CRL numbers 1, 2, 3, … with no gap or repeat");
    assert.equal(after.length, before.length + 1, "the revocation, seen by every node, made one delta CRL");
    const printed = spawnSync(process.execPath, [BIN, "ca", "crl", "--delta", "--dir", a.dir]);
    assert.equal(printed.status, 0, printed.stderr.toString());
    assert.deepEqual(printed.stdout, delta, "`ca crl` without the password prints the newest delta from the database");
    const audit = run(process.execPath, [BIN, "ca", "audit", "verify", "--dir", b.dir]);
    assert.equal(audit.status, 0, audit.output);
  });

  test("the database closing every connection of every node, as a failover does, stops none: the next requests reconnect", async () => {
    const cut = await cutPostgresConnections(APPLICATION_NAME);
    assert.ok(cut >= 2, `${cut} connections cut`);
    // A request that meets a connection the node has not yet seen closed fails; the ones after it reconnect.
    for (const node of nodes) {
      await eventually(`node ${node.name}'s portal reading the database again`, async () => /data-status="issued"/.test((await status(node.url)).text), PROPAGATION_MILLISECONDS);
      // A nonce makes the responder sign a new response from the database's state.
      await eventually(`node ${node.name}'s OCSP reading the database again`, () => /sign\.pem: revoked/.test(ocsp(node.url, signCertificate.path, "-nonce")), PROPAGATION_MILLISECONDS);
    }
    for (const node of nodes) assert.equal(node.server!.exitCode, null, `node ${node.name} still runs`);
  });

  test("node C, without the issuing key, answers OCSP and time-stamps but cannot issue", async () => {
    const c = nodes[2]!;
    assert.match(ocsp(c.url, signCertificate.path), /Response verify OK[\s\S]*sign\.pem: revoked|sign\.pem: revoked[\s\S]*Response verify OK/);
    writeFileSync(path("document.txt"), "a document time-stamped by node C\n");
    assert.equal(run("openssl", ["ts", "-query", "-data", path("document.txt"), "-sha256", "-cert", "-out", path("c.tsq")]).status, 0);
    const reply = await fetch(`${c.url}/tsp`, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: readFileSync(path("c.tsq")) });
    writeFileSync(path("c.tsr"), Buffer.from(await reply.arrayBuffer()));
    const verified = run("openssl", ["ts", "-verify", "-in", path("c.tsr"), "-queryfile", path("c.tsq"), "-CAfile", files.chain]);
    assert.match(verified.output, /Verification: OK/);
    const statusNode = await openCertificateAuthority(c.dir, { password: TEST_PASSWORD });
    try {
      assert.deepEqual(statusNode.signingKeys, ["ocsp", "tsa"]);
      const csrs = csrPair(work);
      await assert.rejects(
        new CertificateIssuer(statusNode).issueCertificate({ csr: Buffer.from(csrs.sign), profile: "individual-sign", subject: { iin: PERSON.iin, surname: PERSON.surname, givenName: PERSON.givenName } }),
        /the CA's issuing key is not on this node/,
      );
    } finally {
      await statusNode.close();
    }
  });
});
