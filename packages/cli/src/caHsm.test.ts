import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CertificateIssuer, openCertificateAuthority } from "@qoltanba/ca";
import { createCertificationRequest, localSigningKey, makeIin, toPem } from "@qoltanba/pki";
import { temporaryDirectory } from "../../ca/src/testSupport.ts";
import { createSoftHsmToken, pkcs11Tool, SOFTHSM_MODULE, TEST_PIN } from "../../pki/src/test-support/softhsm.ts";

const BIN = resolve(import.meta.dirname, "../bin/qoltanba.js");
const ROOT_PASSWORD = "offline root password for the cli test";
const CONCURRENT_ISSUANCES = 50;

/** Secrets only in files: the environment is cleared of both variables. */
function qoltanba(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, QOLTANBA_KEY_PASSWORD: "", QOLTANBA_HSM_PIN: "" },
    encoding: "utf8",
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

describe("qoltanba with the CA's keys in SoftHSM2 (its own token and SOFTHSM2_CONF) and the root offline", () => {
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

    const server = spawn(process.execPath, [BIN, "serve", "--dir", dir, "--listen", "127.0.0.1:0", "--pin-file", file("pin")], {
      env: { ...process.env, QOLTANBA_KEY_PASSWORD: "", QOLTANBA_HSM_PIN: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = new Promise<number | null>((resolveExit) => server.on("exit", resolveExit));
    const ca = await openCertificateAuthority(dir, { hsmPin: TEST_PIN });
    try {
      const address = await new Promise<string>((resolveAddress, reject) => {
        let seen = "";
        server.stderr.on("data", (chunk: Buffer) => {
          seen += chunk.toString();
          const match = /serving on (http:\/\/\S+)/.exec(seen);
          if (match) resolveAddress(match[1]!);
        });
        void exited.then(() => reject(new Error(`serve exited: ${seen}`)));
      });

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

      for (const leaf of [file("leaf.pem"), paths[0]!]) {
        const ocsp = run("openssl", ["ocsp", "-url", `${address}/ocsp`, "-issuer", cert("issuing"), "-cert", leaf, "-CAfile", file("chain.pem")]);
        assert.equal(ocsp.status, 0, ocsp.output);
        assert.match(ocsp.output, /Response verify OK/);
        assert.match(ocsp.output, /: good$/m);
      }

      writeFileSync(file("document.txt"), "time-stamped by a key that never left the HSM\n");
      assert.equal(run("openssl", ["ts", "-query", "-data", file("document.txt"), "-sha256", "-cert", "-out", file("query.tsq")]).status, 0);
      const response = await fetch(`${address}/tsp`, { method: "POST", body: readFileSync(file("query.tsq")), headers: { "content-type": "application/timestamp-query" } });
      assert.equal(response.status, 200);
      writeFileSync(file("reply.tsr"), Buffer.from(await response.arrayBuffer()));
      const stamped = run("openssl", ["ts", "-verify", "-in", file("reply.tsr"), "-data", file("document.txt"), "-CAfile", file("chain.pem"), "-untrusted", cert("tsa")]);
      assert.equal(stamped.status, 0, stamped.output);
      assert.match(stamped.output, /Verification: OK/);
    } finally {
      await ca.close();
      server.kill("SIGTERM");
    }
    assert.equal(await exited, 0, "serve stops cleanly on SIGTERM");
    const audit = qoltanba(["ca", "audit", "verify", "--dir", dir]);
    assert.equal(audit.status, 0, audit.stdout + audit.stderr);
  });

});
