import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CertificateIssuer, openCertificateAuthority, readUnlockOptions, tokenPinEnv } from "@qoltanba/ca";
import { createCertificationRequest, localSigningKey, makeIin, toPem } from "@qoltanba/pki";
import { temporaryDirectory } from "../../ca/src/testSupport.ts";
import { BIN, startServe, stopServe } from "./testSupport.ts";
import { createSoftHsmToken, pkcs11Tool, SOFTHSM_MODULE, TEST_PIN } from "../../pki/src/test-support/softhsm.ts";

const ROOT_PASSWORD = "offline root password for the cli test";
const CONCURRENT_ISSUANCES = 50;

/** Secrets in files, or in `env` when given: the environment is cleared of both variables. */
function qoltanba(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, QOLTANBA_KEY_PASSWORD: "", QOLTANBA_HSM_PIN: "", ...env },
    encoding: "utf8",
    // A guard for a serve that should have refused to start, never a measure of speed.
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const person = (index: number) => ({
  iin: makeIin(new Date(Date.UTC(1970 + (index % 40), index % 12, 1 + (index % 28))), index % 2 ? "female" : "male", 1 + (index % 9))!,
  surname: "ТЕСТОВ",
  givenName: "ТЕСТ",
});

const rsaKeyPair = () =>
  new Promise<{ publicKey: KeyObject; privateKey: KeyObject }>((resolvePair, reject) =>
    generateKeyPair("rsa", { modulusLength: 2048 }, (error, publicKey, privateKey) => (error ? reject(error) : resolvePair({ publicKey, privateKey }))),
  );

async function newCsr(): Promise<Buffer> {
  const { publicKey, privateKey } = await rsaKeyPair();
  return createCertificationRequest({ publicKeyInfo: publicKey.export({ type: "spki", format: "der" }), key: localSigningKey(privateKey) });
}

/** `openssl ocsp` asks the server at `address` about `leaf`: the answer must verify up to `chain` and be good. */
function assertOcspGood(address: string, issuer: string, leaf: string, chain: string): void {
  const ocsp = run("openssl", ["ocsp", "-url", `${address}/ocsp`, "-issuer", issuer, "-cert", leaf, "-CAfile", chain]);
  assert.equal(ocsp.status, 0, ocsp.output);
  assert.match(ocsp.output, /Response verify OK/);
  assert.match(ocsp.output, /: good$/m);
}

/** A time-stamp from the server at `address` over a document in `work`, checked by `openssl ts -verify`. */
async function assertTimeStampVerifies(address: string, work: string, chain: string, tsaCertificate: string): Promise<void> {
  const document = join(work, "document.txt");
  writeFileSync(document, "time-stamped by a key that never left the HSM\n");
  assert.equal(run("openssl", ["ts", "-query", "-data", document, "-sha256", "-cert", "-out", join(work, "query.tsq")]).status, 0);
  const response = await fetch(`${address}/tsp`, { method: "POST", body: readFileSync(join(work, "query.tsq")), headers: { "content-type": "application/timestamp-query" } });
  assert.equal(response.status, 200);
  writeFileSync(join(work, "reply.tsr"), Buffer.from(await response.arrayBuffer()));
  const stamped = run("openssl", ["ts", "-verify", "-in", join(work, "reply.tsr"), "-data", document, "-CAfile", chain, "-untrusted", tsaCertificate]);
  assert.equal(stamped.status, 0, stamped.output);
  assert.match(stamped.output, /Verification: OK/);
}

describe("qoltanba with the CA's keys in SoftHSM2 (its own token and SOFTHSM2_CONF), the root offline, and ca.json's single-token hsm as written before tokens per role", () => {
  let work: string;
  let dir: string;
  let rootDir: string;
  let token: { label: string };
  const file = (name: string) => join(work, name);
  const cert = (name: string) => join(dir, "certs", `${name}.pem`);

  before(() => {
    token = createSoftHsmToken("cli-ca");
    work = temporaryDirectory("qoltanba-cli-hsm-");
    dir = join(work, "ca");
    rootDir = join(work, "offline-root");
    writeFileSync(file("pin"), `${TEST_PIN}\n`, { mode: 0o600 });
    writeFileSync(file("root-password"), `${ROOT_PASSWORD}\n`, { mode: 0o600 });
    const init = qoltanba(["ca", "init", "--dir", dir, "--hsm", SOFTHSM_MODULE, "--slot", token.label, "--pin-file", file("pin"), "--root-offline", rootDir, "--password-file", file("root-password")]);
    assert.equal(init.status, 0, init.stderr);
    writeFileSync(file("chain.pem"), readFileSync(cert("root"), "utf8") + readFileSync(cert("issuing"), "utf8"));
    // Compatibility: every test below runs on the `hsm` section as ca init wrote it before keys could be on several tokens.
    const config = JSON.parse(readFileSync(join(dir, "ca.json"), "utf8"));
    config.hsm = { module: SOFTHSM_MODULE, slotLabel: token.label, keyLabels: { issuing: "qoltanba-issuing", ocsp: "qoltanba-ocsp", tsa: "qoltanba-tsa" } };
    writeFileSync(join(dir, "ca.json"), JSON.stringify(config, null, 2) + "\n");
  });

  test("ca init --hsm: the keys are made inside the token, sensitive and never extractable; the CA folder holds no key and no PIN", () => {
    const listing = pkcs11Tool(token.label, ["--list-objects", "--type", "privkey"]);
    assert.equal(listing.status, 0, listing.output);
    for (const name of ["issuing", "ocsp", "tsa"]) {
      const object = listing.output.split(/(?=Private Key Object)/).find((block) => block.includes(`label:      qoltanba-${name}\n`));
      assert.ok(object, `qoltanba-${name} on the token:\n${listing.output}`);
      assert.match(object, /Access:\s+sensitive, always sensitive, never extractable, local/);
    }
    assert.equal(listing.output.includes("qoltanba-root"), false);
    assert.equal(existsSync(join(dir, "keys")), false);
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) assert.equal(readFileSync(join(entry.parentPath, entry.name)).includes(TEST_PIN), false, `${entry.name} holds the PIN`);
    }
    for (const name of ["issuing", "ocsp", "tsa"]) {
      const verified = run("openssl", ["verify", "-x509_strict", "-CAfile", file("chain.pem"), cert(name)]);
      assert.equal(verified.status, 0, verified.output);
    }
  });

  test("ceremony: ca csr signs on the HSM, the offline root certifies the same key and signs root CRL 2; openssl checks both", () => {
    const csr = qoltanba(["ca", "csr", "--dir", dir, "--key", "issuing", "--pin-file", file("pin"), "--out", file("issuing.csr")]);
    assert.equal(csr.status, 0, csr.stderr);
    assert.match(run("openssl", ["req", "-in", file("issuing.csr"), "-noout", "-verify"]).output, /verify OK/);

    const signArgs = ["ca", "ceremony", "sign-issuing", "--root", rootDir, "--dir", dir, "--csr", file("issuing.csr")];
    assert.equal(qoltanba([...signArgs, "--out", file("no.pem")]).status, 2, "no root password: refused");
    assert.equal(existsSync(file("no.pem")), false);
    writeFileSync(file("wrong-password"), "not the root password at all\n");
    const wrong = qoltanba([...signArgs, "--out", file("no.pem"), "--password-file", file("wrong-password")]);
    assert.equal(wrong.status, 2, wrong.stderr);
    assert.equal(existsSync(file("no.pem")), false);
    writeFileSync(file("garbage.csr"), "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n");
    const garbage = qoltanba([...signArgs.slice(0, -1), file("garbage.csr"), "--out", file("no.pem"), "--password-file", file("root-password")]);
    assert.equal(garbage.status, 2);
    assert.match(garbage.stderr, /CSR is malformed/);
    assert.equal(qoltanba(signArgs.slice(0, 3)).status, 2, "usage: --root missing");

    const signed = qoltanba([...signArgs, "--out", file("issuing-renewed.pem"), "--password-file", file("root-password")]);
    assert.equal(signed.status, 0, signed.stderr);
    const verified = run("openssl", ["verify", "-x509_strict", "-CAfile", cert("root"), file("issuing-renewed.pem")]);
    assert.equal(verified.status, 0, verified.output);
    const publicKey = (path: string) => createPublicKey(readFileSync(path)).export({ type: "spki", format: "der" });
    assert.deepEqual(publicKey(file("issuing-renewed.pem")), publicKey(cert("issuing")));
    const subject = (path: string) => run("openssl", ["x509", "-in", path, "-noout", "-subject", "-nameopt", "RFC2253"]).output;
    assert.equal(subject(file("issuing-renewed.pem")), subject(cert("issuing")));

    const crl = qoltanba(["ca", "ceremony", "root-crl", "--root", rootDir, "--dir", dir, "--password-file", file("root-password")]);
    assert.equal(crl.status, 0, crl.stderr);
    const crlFile = join(dir, "crl", "root.crl");
    assert.match(run("openssl", ["crl", "-inform", "DER", "-in", crlFile, "-CAfile", cert("root"), "-noout", "-verify"]).output, /verify OK/);
    assert.match(run("openssl", ["crl", "-inform", "DER", "-in", crlFile, "-noout", "-crlnumber"]).output, /crlNumber=0x02/);

    const audit = qoltanba(["ca", "audit", "verify", "--dir", dir]);
    assert.equal(audit.status, 0, audit.stdout + audit.stderr);
  });

  test("the ceremony commands explain themselves", () => {
    for (const command of [["ca", "ceremony", "sign-issuing"], ["ca", "ceremony", "root-crl"], ["ca", "csr"]]) {
      const help = qoltanba([...command, "--help"]);
      assert.equal(help.status, 0);
      assert.match(help.stdout, /Usage: qoltanba ca/);
    }
  });

  test(`serve --pin-file: OCSP and TSA answers signed on the HSM verify with openssl; ${CONCURRENT_ISSUANCES} concurrent issuances all succeed`, async () => {
    writeFileSync(file("person.json"), JSON.stringify(person(0)));
    writeFileSync(file("leaf.csr"), toPem("CERTIFICATE REQUEST", await newCsr()));
    const issued = qoltanba(["ca", "issue", "--dir", dir, "--pin-file", file("pin"), "--csr", file("leaf.csr"), "--profile", "individual-auth", "--subject", file("person.json"), "--out", file("leaf.pem")]);
    assert.equal(issued.status, 0, issued.stderr);

    const { server, url: address } = await startServe(["--dir", dir, "--listen", "127.0.0.1:0", "--pin-file", file("pin")], {
      ...process.env,
      QOLTANBA_KEY_PASSWORD: "",
      QOLTANBA_HSM_PIN: "",
    });
    const exited = new Promise<number | null>((resolveExit) => server.on("exit", resolveExit));
    const ca = await openCertificateAuthority(dir, await readUnlockOptions(dir, { pinFile: file("pin") }, true));
    try {
      const csrs = await Promise.all(Array.from({ length: CONCURRENT_ISSUANCES }, () => newCsr()));
      const issuer = new CertificateIssuer(ca);
      const results = await Promise.allSettled(csrs.map((csr, index) => issuer.issueCertificate({ csr, profile: "individual-sign", subject: person(index + 1) })));
      const failures = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
      assert.deepEqual(failures.map((failure) => String(failure.reason)), []);
      const certificates = results.map((result) => (result as PromiseFulfilledResult<{ certificate: Buffer; serial: string }>).value);
      assert.equal(new Set(certificates.map((entry) => entry.serial)).size, CONCURRENT_ISSUANCES);
      const paths = certificates.map((entry, index) => {
        const path = file(`concurrent-${index}.pem`);
        writeFileSync(path, toPem("CERTIFICATE", entry.certificate));
        return path;
      });
      const verified = run("openssl", ["verify", "-x509_strict", "-CAfile", file("chain.pem"), ...paths]);
      assert.equal(verified.status, 0, verified.output);
      assert.equal(verified.output.match(/: OK$/gm)?.length, CONCURRENT_ISSUANCES);

      for (const leaf of [file("leaf.pem"), paths[0]!]) assertOcspGood(address, cert("issuing"), leaf, file("chain.pem"));
      await assertTimeStampVerifies(address, work, file("chain.pem"), cert("tsa"));
    } finally {
      await ca.close();
      server.kill("SIGTERM");
    }
    assert.equal(await exited, 0, "serve stops cleanly on SIGTERM");
    const audit = qoltanba(["ca", "audit", "verify", "--dir", dir]);
    assert.equal(audit.status, 0, audit.stdout + audit.stderr);
  });

});

describe("qoltanba with the issuing key on its own SoftHSM2 token, OCSP and TSA on another, each with its own PIN", () => {
  const ISSUING_PIN = "issuing-token-pin-4821";
  const STATUS_PIN = "status-token-pin-7730";
  let work: string;
  let dir: string;
  let issuingToken: string;
  let statusToken: string;
  const file = (name: string) => join(work, name);
  const cert = (name: string) => join(dir, "certs", `${name}.pem`);
  const issueArgs = (out: string) => ["ca", "issue", "--dir", dir, "--csr", file("leaf.csr"), "--profile", "individual-auth", "--subject", file("person.json"), "--out", file(out)];
  const neverPrinted = (output: string) => {
    for (const pin of [ISSUING_PIN, STATUS_PIN, "wrong-pin-31337"]) assert.equal(output.includes(pin), false, "a PIN was printed");
  };

  before(async () => {
    issuingToken = createSoftHsmToken("cli-issuing", ISSUING_PIN).label;
    statusToken = createSoftHsmToken("cli-status", STATUS_PIN).label;
    work = temporaryDirectory("qoltanba-cli-hsm-roles-");
    dir = join(work, "ca");
    writeFileSync(file("issuing-pin"), `${ISSUING_PIN}\n`, { mode: 0o600 });
    writeFileSync(file("status-pin"), `${STATUS_PIN}\n`, { mode: 0o600 });
    writeFileSync(file("wrong-pin"), "wrong-pin-31337\n", { mode: 0o600 });
    writeFileSync(file("root-password"), `${ROOT_PASSWORD}\n`, { mode: 0o600 });
    const init = qoltanba([
      "ca", "init", "--dir", dir, "--hsm", SOFTHSM_MODULE, "--slot", statusToken, "--issuing-slot", issuingToken,
      "--token-pin-file", `${statusToken}=${file("status-pin")}`, "--token-pin-file", `${issuingToken}=${file("issuing-pin")}`,
      "--root-offline", join(work, "offline-root"), "--password-file", file("root-password"),
    ]);
    assert.equal(init.status, 0, init.stderr);
    neverPrinted(init.stdout + init.stderr);
    writeFileSync(file("chain.pem"), readFileSync(cert("root"), "utf8") + readFileSync(cert("issuing"), "utf8"));
    writeFileSync(file("person.json"), JSON.stringify(person(0)));
    writeFileSync(file("leaf.csr"), toPem("CERTIFICATE REQUEST", await newCsr()));
  });

  test("ca init --issuing-slot: pkcs11-tool --login shows the issuing key alone on its token, OCSP and TSA on the other; ca.json names each key's token and holds no PIN", () => {
    const objects = (token: string, pin: string) => {
      const listing = pkcs11Tool(token, ["--list-objects"], pin);
      assert.equal(listing.status, 0, listing.output);
      return [...listing.output.matchAll(/^Private Key Object[\s\S]*?label:\s+(\S+)/gm)].map((match) => match[1]).sort();
    };
    assert.deepEqual(objects(issuingToken, ISSUING_PIN), ["qoltanba-issuing"]);
    assert.deepEqual(objects(statusToken, STATUS_PIN), ["qoltanba-ocsp", "qoltanba-tsa"]);
    const listing = pkcs11Tool(issuingToken, ["--list-objects", "--type", "privkey"], ISSUING_PIN);
    assert.match(listing.output, /Access:\s+sensitive, always sensitive, never extractable, local/);

    const text = readFileSync(join(dir, "ca.json"), "utf8");
    assert.deepEqual(JSON.parse(text).hsm, {
      module: SOFTHSM_MODULE,
      keys: {
        issuing: { token: issuingToken, label: "qoltanba-issuing" },
        ocsp: { token: statusToken, label: "qoltanba-ocsp" },
        tsa: { token: statusToken, label: "qoltanba-tsa" },
      },
    });
    neverPrinted(text);
    for (const name of ["issuing", "ocsp", "tsa"]) {
      const verified = run("openssl", ["verify", "-x509_strict", "-CAfile", file("chain.pem"), cert(name)]);
      assert.equal(verified.status, 0, verified.output);
    }
  });

  test("a signer node (the issuing token's PIN in its QOLTANBA_HSM_PIN_<TOKEN> variable) issues; ca csr --key issuing and the offline root's sign-issuing work; openssl verifies", () => {
    const issued = qoltanba(issueArgs("leaf.pem"), { [tokenPinEnv(issuingToken)]: ISSUING_PIN });
    assert.equal(issued.status, 0, issued.stderr);
    const verified = run("openssl", ["verify", "-x509_strict", "-CAfile", file("chain.pem"), file("leaf.pem")]);
    assert.equal(verified.status, 0, verified.output);

    const csr = qoltanba(["ca", "csr", "--dir", dir, "--key", "issuing", "--token-pin-file", `${issuingToken}=${file("issuing-pin")}`, "--out", file("issuing.csr")]);
    assert.equal(csr.status, 0, csr.stderr);
    assert.match(run("openssl", ["req", "-in", file("issuing.csr"), "-noout", "-verify"]).output, /verify OK/);
    const signed = qoltanba(["ca", "ceremony", "sign-issuing", "--root", join(work, "offline-root"), "--dir", dir, "--csr", file("issuing.csr"), "--out", file("issuing-renewed.pem"), "--password-file", file("root-password")]);
    assert.equal(signed.status, 0, signed.stderr);
    const renewed = run("openssl", ["verify", "-x509_strict", "-CAfile", cert("root"), file("issuing-renewed.pem")]);
    assert.equal(renewed.status, 0, renewed.output);
  });

  test("a status node (only the OCSP/TSA token's PIN) answers openssl ocsp and openssl ts -verify through qoltanba serve; it cannot issue or sign a CRL", async () => {
    const pins = ["--token-pin-file", `${statusToken}=${file("status-pin")}`];
    const cleared = { ...process.env, QOLTANBA_KEY_PASSWORD: "", QOLTANBA_HSM_PIN: "" };
    let output = "";
    const { server, url, log } = await startServe(["--dir", dir, "--listen", "127.0.0.1:0", ...pins], cleared, (text) => (output += text));
    try {
      assert.match(log, /signing on this node with the CA's ocsp, tsa key\(s\)/);
      assertOcspGood(url, cert("issuing"), file("leaf.pem"), file("chain.pem"));
      await assertTimeStampVerifies(url, work, file("chain.pem"), cert("tsa"));
    } finally {
      await stopServe(server);
    }
    assert.match(output, /"msg":"Server listening at/, "its stdout log was read too");
    neverPrinted(output);

    const refused = qoltanba([...issueArgs("not-issued.pem"), ...pins]);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`the CA's issuing key is not on this node \\(no PIN for its HSM token "${issuingToken}"\\)`));
    assert.equal(existsSync(file("not-issued.pem")), false);
    const crl = qoltanba(["ca", "crl", "--dir", dir, ...pins]);
    assert.equal(crl.status, 2, crl.stderr);
    assert.match(crl.stderr, /the CA's issuing key is not on this node/);
  });

  test("bad input: a token ca.json names but the HSM lacks, a wrong PIN, one PIN for two tokens, an unknown token, init with one token twice — each refused, named, the PIN never printed", () => {
    const absent = join(work, "ca-absent-token");
    cpSync(dir, absent, { recursive: true });
    const config = JSON.parse(readFileSync(join(absent, "ca.json"), "utf8"));
    config.hsm.keys.ocsp.token = config.hsm.keys.tsa.token = "qoltanba-absent";
    writeFileSync(join(absent, "ca.json"), JSON.stringify(config));
    const serveAbsent = qoltanba(["serve", "--dir", absent, "--listen", "127.0.0.1:0", "--token-pin-file", `qoltanba-absent=${file("status-pin")}`]);
    assert.equal(serveAbsent.status, 2, serveAbsent.stderr);
    assert.match(serveAbsent.stderr, /no token labelled "qoltanba-absent"/);

    const wrongFile = qoltanba(["serve", "--dir", dir, "--listen", "127.0.0.1:0", "--token-pin-file", `${statusToken}=${file("wrong-pin")}`]);
    assert.equal(wrongFile.status, 2, wrongFile.stderr);
    assert.match(wrongFile.stderr, new RegExp(`the HSM token "${statusToken}" refused the PIN \\(CKR_PIN_INCORRECT`));
    const wrongEnv = qoltanba(issueArgs("not-issued.pem"), { [tokenPinEnv(issuingToken)]: "wrong-pin-31337" });
    assert.equal(wrongEnv.status, 2, wrongEnv.stderr);
    assert.match(wrongEnv.stderr, new RegExp(`the HSM token "${issuingToken}" refused the PIN \\(CKR_PIN_INCORRECT`));
    assert.equal(existsSync(file("not-issued.pem")), false);

    const single = qoltanba(issueArgs("not-issued.pem"), { QOLTANBA_HSM_PIN: ISSUING_PIN });
    assert.equal(single.status, 2, single.stderr);
    assert.match(single.stderr, /on 2 HSM tokens .*--token-pin-file TOKEN=FILE/);
    const unknown = qoltanba([...issueArgs("not-issued.pem"), "--token-pin-file", `no-such-token=${file("status-pin")}`]);
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /--token-pin-file names the HSM token "no-such-token"/);
    const none = qoltanba(issueArgs("not-issued.pem"));
    assert.equal(none.status, 2, none.stderr);
    assert.match(none.stderr, new RegExp(`the HSM PIN is needed \\("${issuingToken}": --token-pin-file ${issuingToken}=FILE or ${tokenPinEnv(issuingToken)}`));
    const sameToken = qoltanba(["ca", "init", "--dir", join(work, "ca-same-token"), "--hsm", SOFTHSM_MODULE, "--slot", statusToken, "--issuing-slot", statusToken, "--token-pin-file", `${statusToken}=${file("status-pin")}`]);
    assert.equal(sameToken.status, 2, sameToken.stderr);
    assert.match(sameToken.stderr, new RegExp(`the issuing key's own token must be another token than "${statusToken}"`));
    for (const result of [serveAbsent, wrongFile, wrongEnv, single, unknown, none, sameToken]) neverPrinted(result.stdout + result.stderr);
    assert.equal(existsSync(file("not-issued.pem")), false);
  });
});
