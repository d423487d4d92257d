import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeIin } from "@qoltanba/pki";
import { BIN } from "./testSupport.ts";

const PASSWORD = "cli test password 123";

function qoltanba(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, QOLTANBA_KEY_PASSWORD: "", ...env }, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function openssl(args: string[], input?: string | Buffer) {
  return spawnSync("openssl", args, { input: input ?? "" });
}

test("every command answers --help with exit 0", () => {
  for (const command of [["--help"], ["ca", "init", "--help"], ["ca", "cert", "--help"], ["ca", "issue", "--help"], ["ca", "audit", "--help"], ["serve", "--help"], ["demo", "--help"]]) {
    const result = qoltanba(command);
    assert.equal(result.status, 0, command.join(" "));
    assert.match(result.stdout, /Usage: qoltanba/);
  }
  const unknown = qoltanba(["frobnicate"]);
  assert.equal(unknown.status, 2);
});

test("the script contract: init, cert, issue, audit verify, serve", async () => {
  const work = mkdtempSync(join(tmpdir(), "qoltanba-cli-"));
  const dir = join(work, "ca");
  const env = { QOLTANBA_KEY_PASSWORD: PASSWORD };

  const noPassword = qoltanba(["ca", "init", "--dir", dir]);
  assert.equal(noPassword.status, 2);
  assert.match(noPassword.stderr, /QOLTANBA_KEY_PASSWORD/);

  const passwordFile = join(work, "password");
  writeFileSync(passwordFile, `${PASSWORD}\n`);
  const init = qoltanba(["ca", "init", "--dir", dir, "--base-url", "http://127.0.0.1:8080", "--password-file", passwordFile]);
  assert.equal(init.status, 0, init.stderr);
  const again = qoltanba(["ca", "init", "--dir", dir], env);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /not empty/);

  const rootPath = join(work, "root.pem");
  const issuingPath = join(work, "issuing.pem");
  writeFileSync(rootPath, qoltanba(["ca", "cert", "--dir", dir, "root"]).stdout);
  writeFileSync(issuingPath, qoltanba(["ca", "cert", "--dir", dir, "issuing"]).stdout);

  const keyPath = join(work, "key.pem");
  const csrPath = join(work, "req.csr");
  assert.equal(openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-subj", "/CN=x", "-out", csrPath]).status, 0);
  const subjectPath = join(work, "subject.json");
  writeFileSync(subjectPath, JSON.stringify({ iin: makeIin(new Date(Date.UTC(2001, 1, 3)), "female", 42), surname: "ӘБІЛҚАСЫМОВА", givenName: "АЙГЕРІМ", patronymic: "НҰРЛАНҚЫЗЫ" }));
  const issue = qoltanba(["ca", "issue", "--dir", dir, "--csr", csrPath, "--profile", "individual-sign", "--subject", subjectPath], env);
  assert.equal(issue.status, 0, issue.stderr);
  assert.match(issue.stdout, /^-----BEGIN CERTIFICATE-----/);
  const verify = openssl(["verify", "-x509_strict", "-CAfile", rootPath, "-untrusted", issuingPath], issue.stdout);
  assert.equal(verify.status, 0, verify.stderr.toString());

  const garbage = join(work, "garbage.csr");
  writeFileSync(garbage, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  const bad = qoltanba(["ca", "issue", "--dir", dir, "--csr", garbage, "--profile", "individual-sign", "--subject", subjectPath], env);
  assert.equal(bad.status, 2);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /expected PEM label CERTIFICATE REQUEST/);

  const serial = /serial ([0-9a-f]+)/.exec(issue.stderr)![1]!;
  const revoke = qoltanba(["ca", "revoke", "--dir", dir, "--serial", serial, "--reason", "superseded"]);
  assert.equal(revoke.status, 0, revoke.stderr);
  const twice = qoltanba(["ca", "revoke", "--dir", dir, "--serial", serial, "--reason", "keyCompromise"]);
  assert.equal(twice.status, 2);
  assert.match(twice.stderr, /already revoked/);
  const badReason = qoltanba(["ca", "revoke", "--dir", dir, "--serial", serial, "--reason", "lost"]);
  assert.match(badReason.stderr, /unknown revocation reason "lost"/);
  const crl = spawnSync(process.execPath, [BIN, "ca", "crl", "--dir", dir], { env: { ...process.env, ...env } });
  assert.equal(crl.status, 0, crl.stderr.toString());
  const crlText = openssl(["crl", "-inform", "DER", "-noout", "-text", "-CAfile", issuingPath], crl.stdout);
  assert.equal(crlText.status, 0, crlText.stderr.toString());
  assert.match(crlText.stdout.toString(), new RegExp(`Serial Number: ${serial.toUpperCase()}[\\s\\S]*Superseded`));

  const audit = qoltanba(["ca", "audit", "verify", "--dir", dir]);
  assert.equal(audit.status, 0, audit.stderr);
  assert.match(audit.stdout, /audit log intact: 8 entries/);

  const server = spawn(process.execPath, [BIN, "serve", "--dir", dir, "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const address = await new Promise<string>((resolvePromise, reject) => {
      let seen = "";
      server.stderr.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /serving on (http:\/\/\S+)/.exec(seen);
        if (match) resolvePromise(match[1]!);
      });
      server.on("exit", () => reject(new Error(`serve exited: ${seen}`)));
    });
    for (const [path, pem] of [["/cert/root.cer", rootPath], ["/cert/issuing.cer", issuingPath]] as const) {
      const response = await fetch(address + path);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/pkix-cert");
      const der = Buffer.from(await response.arrayBuffer());
      const expected = openssl(["x509", "-in", pem, "-outform", "DER"]).stdout;
      assert.deepEqual(der, expected);
    }
    assert.equal((await fetch(address + "/cert/nothing.cer")).status, 404);
  } finally {
    server.kill("SIGTERM");
  }
});

test("serve refuses a --trusted-proxies entry that is neither an address nor a CIDR, before opening anything", () => {
  const refused = qoltanba(["serve", "--dir", "/nonexistent", "--trusted-proxies", "10.0.0.0/8, lb.example"]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--trusted-proxies: not an address or CIDR: lb\.example/);
});
