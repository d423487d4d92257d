// Three nodes, as separate machines behind a load balancer would run them: `qoltanba serve`
// processes on their own ports, each with its own copy of the CA folder, sharing one PostgreSQL
// database. A and B hold every online key; C only the OCSP and TSA keys (no issuing key, so it
// neither issues nor signs CRLs itself): its portal asks node B's CA API over mutual TLS. Checked
// with openssl: one CRL sequence whichever node signs, the same CRLs and OCSP answers from all,
// applications started on one node and confirmed by an operator through another node's console,
// certificates confirmed on C issued by B.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CertificateIssuer, initCertificateAuthority, issueApiCredentials, openCertificateAuthority, type CertificateAuthority } from "@qoltanba/ca";
import { inProcessCaClient, Portal } from "@qoltanba/portal";
import { toPem } from "@qoltanba/pki";
import { cutPostgresConnections, temporaryDirectory, testDatabases, TEST_PASSWORD } from "../../ca/src/testSupport.ts";
import { Browser, captchaAnswer, csrPair, DEMO_PERSONS, opensslSign, PERSON, type TestKey } from "../../portal/src/testSupport.ts";
import { BIN, eventually, freePort, run, startServe, stopServe } from "./testSupport.ts";

const database = testDatabases().map((make) => make()).find((candidate) => candidate.engine === "postgres")!;
// Names the nodes' connections, so the test can cut exactly those.
const APPLICATION_NAME = `qoltanba_${database.url!.split("schema=")[1]}`;
// What a node learns from the database takes a poll (1 s) and a signature; a loaded CI machine gets room.
const PROPAGATION_MILLISECONDS = 15_000;
// In the demo registry; the operator works at the center the applications name.
const OPERATOR_IIN = "781123301050";
const OTHER_PERSON_IIN = "850702400128";
const CENTER = "almaty.bostandyk.rc";

describe("three serve nodes on one PostgreSQL database", () => {
  const work = temporaryDirectory("qoltanba-multinode-");
  const path = (name: string) => join(work, name);
  const nodes: Array<{ name: string; dir: string; url: string; server?: ChildProcess }> = [];
  let ca: CertificateAuthority; // node B's folder, opened by the test as its Registration Center would
  let portal: Portal;
  const files = { root: path("root.pem"), issuing: path("issuing.pem"), ocsp: path("ocsp.pem"), chain: path("chain.pem") };
  let signCertificate: { serial: string; path: string };
  let applicationNumber: string;
  let operatorKeys: { auth: TestKey; sign: TestKey };
  let caApiPort: number;

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
  const status = async (url: string, number = applicationNumber, iin = PERSON.iin) => {
    const visitor = new Browser(url);
    await visitor.page("/status");
    return visitor.post("/status", { number, iin });
  };
  /** The issued certificates (PEM, AUTH then SIGN) the status page hands the agent to install. */
  const issuedPems = (statusPage: string): [string, string] => {
    const data = /<script type="application\/json" id="install-data">([\s\S]*?)<\/script>/.exec(statusPage);
    assert.ok(data, "the status page offers the certificates to install");
    return (JSON.parse(data[1]!) as { certificates: [string, string] }).certificates;
  };

  /**
   * An application made as the pages' script makes it: the first page from `browser`'s node, each
   * form posted to `postTo` (another node, when the test says so). Returns its number.
   */
  const submit = async (browser: Browser, postTo: string, iin: string, csrs: { auth: string; sign: string }) => {
    await browser.page("/individuals");
    const agreed = await browser.post(`${postTo}/apply`, { agree: "yes" });
    assert.equal(agreed.url, "/apply/identity", "the CSRF token of one node is accepted by another");
    const { id, answer } = await captchaAnswer(portal, agreed.text);
    const details = await browser.post(`${postTo}/apply/identity`, { captchaId: id, captcha: answer, iin });
    assert.equal(details.url, "/apply/details", "the identity check made on one node is known to the other");
    const email = `${iin}@example.kz`;
    const submitted = await browser.request(`${postTo}/apply/submit`, {
      method: "POST",
      headers: { "x-csrf-token": browser.csrfToken },
      json: { iin, email, emailRepeat: email, region: "almaty", locality: "almaty.bostandyk", center: CENTER, storage: "file", authCsr: csrs.auth, signCsr: csrs.sign },
    });
    return submitted;
  };
  const apply = async (browser: Browser, postTo: string, iin: string, csrs: { auth: string; sign: string }) => {
    const submitted = await submit(browser, postTo, iin, csrs);
    assert.equal(submitted.status, 200, await submitted.clone().text());
    return ((await submitted.json()) as { number: string }).number;
  };
  /** A JSON call to the console, as its page script makes it; fails unless it answers 200. */
  const consoleCall = async (browser: Browser, url: string, json: unknown) => {
    const response = await browser.request(url, { method: "POST", headers: { "x-csrf-token": browser.csrfToken }, json });
    const body = await response.text();
    assert.equal(response.status, 200, `${url}: ${body}`);
    return JSON.parse(body) as Record<string, string>;
  };
  /** Signs in to a node's console: OpenSSL signs the challenge with the operator's AUTH key. */
  const signIn = async (browser: Browser, url: string) => {
    await browser.page(`${url}/console`);
    const challenge = await consoleCall(browser, `${url}/console/login/challenge`, {});
    const signature = opensslSign(Buffer.from(challenge.data!, "base64"), operatorKeys.auth);
    assert.equal((await consoleCall(browser, `${url}/console/login`, { signature })).next, "/console/home");
  };
  /** Confirms through a node's console: the identity document checked, the decision signed by OpenSSL with the SIGN key. */
  const confirm = async (browser: Browser, url: string, number: string) => {
    const checked = await browser.post(`${url}/console/application/identity`, { number, documentType: "id-card", documentNumber: "043123456" });
    assert.equal(checked.status, 200, checked.text);
    const prepared = await consoleCall(browser, `${url}/console/decisions/prepare`, { kind: "confirm", application: number });
    const signature = opensslSign(Buffer.from(prepared.data!, "base64"), operatorKeys.sign);
    assert.equal((await consoleCall(browser, `${url}/console/decisions`, { signature })).outcome, "applied");
  };

  before(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    caApiPort = await freePort();
    const origin = path("ca");
    // The certificates name node A's URL, as they would name the load balancer's.
    await initCertificateAuthority({ dir: origin, password: TEST_PASSWORD, issuingKeyBits: 2048, baseUrl: `http://127.0.0.1:${ports[0]}`, databaseUrl: `${database.url!}&application_name=${APPLICATION_NAME}` });
    // Node B serves the CA API; node C is the one portal node on its list.
    await issueApiCredentials(origin, { kind: "server", hosts: ["127.0.0.1"] }, path("api-server"), TEST_PASSWORD);
    await issueApiCredentials(origin, { kind: "client", name: "node-c" }, path("api-node-c"), TEST_PASSWORD);
    for (const [index, name] of ["A", "B", "C"].entries()) {
      const dir = path(`node${name}`);
      cpSync(origin, dir, { recursive: true });
      nodes.push({ name, dir, url: `http://127.0.0.1:${ports[index]}` });
    }
    for (const key of ["root", "issuing"]) rmSync(join(nodes[2]!.dir, "keys", `${key}.key.pem`));
    const env = { ...process.env, QOLTANBA_KEY_PASSWORD: TEST_PASSWORD, QOLTANBA_PERSONS: DEMO_PERSONS };
    const caApi = {
      B: ["--ca-api-listen", `127.0.0.1:${caApiPort}`, "--ca-api-credentials", path("api-server")],
      C: { QOLTANBA_CA_API_URL: `https://127.0.0.1:${caApiPort}`, QOLTANBA_CA_API_CREDENTIALS: path("api-node-c") },
    };
    // Started together: A and B race to make the first CRLs.
    const started = await Promise.all(
      nodes.map((node) =>
        startServe(["--dir", node.dir, "--listen", new URL(node.url).host, ...(node.name === "B" ? caApi.B : [])], { ...env, ...(node.name === "C" ? caApi.C : {}) }),
      ),
    );
    started.forEach(({ server, url }, index) => {
      nodes[index]!.server = server;
      assert.equal(url, nodes[index]!.url);
    });
    assert.match(started[0]!.log, /signing on this node with the CA's issuing, ocsp, tsa key\(s\)/);
    assert.match(started[1]!.log, new RegExp(`CA API \\(mutual TLS\\) on https://127\\.0\\.0\\.1:${caApiPort}`));
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

  test("an application begun on node A and submitted on node B (one browser, no sticky sessions) is looked up on every node and confirmed by an operator through node B's console", async () => {
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    // Each form is posted to the other node than the one whose page carried its CSRF token.
    const csrs = csrPair(work);
    applicationNumber = await apply(new Browser(a.url), b.url, PERSON.iin, csrs);
    for (const node of nodes) assert.match((await status(node.url)).text, /data-status="submitted"/, `node ${node.name} finds it`);

    // The operator: added with the CLI, enrolled through the link on node B (their own application
    // is confirmed at once), their certificates read from the status page, their keys OpenSSL's.
    const added = run(process.execPath, [BIN, "operator", "add", "--dir", b.dir, "--iin", OPERATOR_IIN, "--role", "operator", "--center", CENTER]);
    assert.equal(added.status, 0, added.output);
    const token = /#([\w-]+)\s*$/.exec(added.output)?.[1];
    assert.ok(token, added.output);
    const operator = new Browser(b.url);
    await operator.page("/console/enrol");
    assert.equal((await consoleCall(operator, "/console/enrol", { token })).next, "/apply");
    const operatorCsrs = csrPair(work);
    const enrolled = await apply(operator, b.url, OPERATOR_IIN, operatorCsrs);
    const [authPem, signPem] = issuedPems((await status(b.url, enrolled, OPERATOR_IIN)).text);
    operatorKeys = {
      auth: { serial: "", certificatePath: path("operator-auth.pem"), keyPath: operatorCsrs.authKey },
      sign: { serial: "", certificatePath: path("operator-sign.pem"), keyPath: operatorCsrs.signKey },
    };
    writeFileSync(operatorKeys.auth.certificatePath, authPem);
    writeFileSync(operatorKeys.sign.certificatePath, signPem);

    await signIn(operator, b.url);
    await confirm(operator, b.url, applicationNumber);
    const onA = await status(a.url);
    assert.match(onA.text, /data-status="issued"/);
    const serials = [...onA.text.matchAll(/<span class="mono">([0-9a-f]+)<\/span>/g)].map((match) => match[1]!);
    assert.equal(serials.length, 2, "the AUTH and SIGN serials");
    signCertificate = { serial: serials[1]!, path: path("sign.pem") };
    writeFileSync(signCertificate.path, issuedPems(onA.text)[1]);
    const verified = run("openssl", ["verify", "-CAfile", files.chain, signCertificate.path]);
    assert.equal(verified.status, 0, verified.output);
    assert.match(run("openssl", ["x509", "-in", signCertificate.path, "-noout", "-serial"]).output, new RegExp(`serial=${signCertificate.serial}`, "i"));
    for (const node of nodes) {
      const answer = ocsp(node.url, signCertificate.path);
      assert.match(answer, /Response verify OK/, `node ${node.name}`);
      assert.match(answer, /sign\.pem: good/, `node ${node.name}`);
    }
  });

  test("node C, a portal node without the issuing key: an application submitted and confirmed through its console is issued by node B through the CA API", async () => {
    const c = nodes[2]!;
    const number = await apply(new Browser(c.url), c.url, OTHER_PERSON_IIN, csrPair(work));
    const operator = new Browser(c.url);
    await signIn(operator, c.url);
    await confirm(operator, c.url, number);
    const onC = await status(c.url, number, OTHER_PERSON_IIN);
    assert.match(onC.text, /data-status="issued"/);
    const [authPem, signPem] = issuedPems(onC.text);
    for (const [name, pem] of [["remote-auth.pem", authPem], ["remote-sign.pem", signPem]] as const) {
      writeFileSync(path(name), pem);
      const verified = run("openssl", ["verify", "-CAfile", files.chain, path(name)]);
      assert.equal(verified.status, 0, verified.output);
      const answer = ocsp(c.url, path(name));
      assert.match(answer, /Response verify OK/, name);
      assert.match(answer, new RegExp(`${name.replace(".", "\\.")}: good`));
    }
    const issuedFor = [];
    for await (const entry of ca.store.auditEntries()) if (entry.action === "api-call") issuedFor.push(JSON.parse(entry.details) as Record<string, string>);
    assert.deepEqual(issuedFor.map((entry) => entry.call), ["issueCertificate", "issueCertificate"], "node C's two issuances, audited by the CA");
    for (const entry of issuedFor) assert.match(entry.node!, /CN=node-c/);
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

  test("with node B's CA API down, node C's applicant and status page say the CA cannot be reached, try later; nothing is stored", async () => {
    const c = nodes[2]!;
    await stopServe(nodes[1]!.server);
    const iin = "930917402309";
    const submitted = await submit(new Browser(c.url), c.url, iin, csrPair(work));
    assert.equal(submitted.status, 503);
    assert.deepEqual(await submitted.json(), { error: "ca_unavailable", message: "Куәландырушы орталық қазір қолжетімсіз. Бірнеше минуттан кейін қайталаңыз." });
    const stored = await portal.store.db.selectFrom("applications").select("number").where("iin", "=", iin).execute();
    assert.deepEqual(stored, []);
    const lookedUp = await status(c.url);
    assert.equal(lookedUp.status, 422);
    assert.match(lookedUp.text, /Куәландырушы орталық қазір қолжетімсіз/);
  });
});
