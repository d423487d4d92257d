// The OCSP responder as relying parties meet it: `qoltanba serve --workers 2` on a free port, asked
// by openssl, GnuTLS's ocsptool and NSS's vfychain, over POST and GET, with and without nonces.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CertificateIssuer, initCertificateAuthority, openCertificateAuthority, revokeCertificate, type CertificateAuthority } from "@qoltanba/ca";
import { makeIin, parseOcspResponse, toPem } from "@qoltanba/pki";
import { freePort } from "../../pki/src/test-support/localhost.ts";

const BIN = resolve(import.meta.dirname, "../bin/qoltanba.js");
const PASSWORD = "ocsp serve test password";
const POLL_MILLISECONDS = 1000; // the revocation watcher's default

function run(command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function waitForServing(server: ChildProcess): Promise<string> {
  return new Promise((resolveAddress, reject) => {
    let seen = "";
    server.stderr!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /serving on (http:\/\/\S+)/.exec(seen);
      if (match) resolveAddress(match[1]!);
    });
    server.on("exit", () => reject(new Error(`serve exited: ${seen}`)));
  });
}

async function eventually(what: string, check: () => boolean, milliseconds = 5 * POLL_MILLISECONDS): Promise<void> {
  const deadline = Date.now() + milliseconds;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${milliseconds} ms`);
    await new Promise((resolveLater) => setTimeout(resolveLater, 100));
  }
}

describe("qoltanba serve: OCSP", () => {
  let work: string;
  let ca: CertificateAuthority;
  let url: string;
  let server: ChildProcess;
  const files = { root: "", issuing: "", ocsp: "" };
  let leaves: Array<{ serial: string; path: string; der: string }>;
  const path = (name: string) => join(work, name);

  /** `openssl ocsp` against the server: POST, the response checked against the delegated responder certificate. */
  const ask = (flags: string[], targets: string[]) =>
    run("openssl", ["ocsp", "-url", `${url}/ocsp`, "-issuer", files.issuing, ...flags, ...targets, "-VAfile", files.ocsp]);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "qoltanba-serve-ocsp-"));
    const port = await freePort();
    const dir = path("ca");
    await initCertificateAuthority({ dir, password: PASSWORD, baseUrl: `http://127.0.0.1:${port}` });
    ca = await openCertificateAuthority(dir, { password: PASSWORD });
    for (const name of ["root", "issuing", "ocsp"] as const) {
      files[name] = path(`${name}.pem`);
      writeFileSync(files[name], toPem("CERTIFICATE", ca.certificates[name]));
    }
    const issuer = new CertificateIssuer(ca);
    const subject = { iin: makeIin(new Date(Date.UTC(1979, 10, 30)), "female", 5)!, surname: "ОМАРОВА", givenName: "ӘСЕЛ" };
    leaves = [];
    for (let index = 0; index < 3; index++) {
      const csr = path(`leaf${index}.csr`);
      assert.equal(run("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", path(`leaf${index}.key`), "-subj", "/CN=x", "-out", csr]).status, 0);
      const { certificate, serial } = await issuer.issueCertificate({ csr: readFileSync(csr), profile: "individual-sign", subject });
      writeFileSync(path(`leaf${index}.pem`), toPem("CERTIFICATE", certificate));
      writeFileSync(path(`leaf${index}.der`), certificate);
      leaves.push({ serial, path: path(`leaf${index}.pem`), der: path(`leaf${index}.der`) });
    }
    server = spawn(process.execPath, [BIN, "serve", "--dir", dir, "--listen", `127.0.0.1:${port}`, "--workers", "2"], {
      env: { ...process.env, QOLTANBA_KEY_PASSWORD: PASSWORD },
      stdio: ["ignore", "ignore", "pipe"],
    });
    url = await waitForServing(server);
    assert.equal(url, `http://127.0.0.1:${port}`);
  });

  after(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolveExit) => server.once("exit", resolveExit));
      server.kill("SIGTERM");
      await exited;
    }
    await ca.close();
  });

  test("openssl over POST: good, revoked with time and reason, unknown; with and without a nonce; SHA-1 and SHA-256", async () => {
    const [good, revoked] = leaves as [(typeof leaves)[0], (typeof leaves)[0]];
    await revokeCertificate(ca, { serial: revoked.serial, reason: "keyCompromise", at: new Date(Date.UTC(2025, 5, 6, 7, 8, 9)) });
    await eventually("the revocation reaching the responder", () => /: revoked/.test(ask(["-no_nonce"], ["-cert", revoked.path]).output));
    const cases: Array<[string[], RegExp]> = [
      [["-cert", good.path], /leaf0\.pem: good\n\tThis Update: .*\n\tNext Update: /],
      [["-cert", revoked.path], /leaf1\.pem: revoked\n\tThis Update: .*\n\tNext Update: .*\n\tReason: keyCompromise\n\tRevocation Time: Jun {2}6 07:08:09 2025 GMT/],
      [["-serial", "0x7e57ab1e"], /0x7e57ab1e: unknown/],
    ];
    for (const digest of ["-sha1", "-sha256"]) {
      for (const nonce of ["-nonce", "-no_nonce"]) {
        for (const [targets, expected] of cases) {
          const { status, output } = ask([digest, nonce], targets);
          const label = `${digest} ${nonce} ${targets.join(" ")}`;
          assert.equal(status, 0, `${label}: ${output}`);
          assert.match(output, /Response verify OK/, label);
          assert.doesNotMatch(output, /WARNING: no nonce in response/, `${label}: the nonce is echoed`);
          assert.match(output, expected, label);
        }
      }
    }
    // Anchored at the root instead of the responder certificate: openssl walks responder → issuing → root.
    const chained = run("openssl", ["ocsp", "-url", `${url}/ocsp`, "-issuer", files.issuing, "-cert", good.path, "-CAfile", files.root, "-verify_other", files.issuing]);
    assert.match(chained.output, /Response verify OK[\s\S]*: good|: good[\s\S]*Response verify OK/);
  });

  test("GET with the URL-encoded base64 request: RFC 5019 caching headers and revalidation; POST is not cacheable", async () => {
    const request = path("get.req");
    assert.equal(run("openssl", ["ocsp", "-issuer", files.issuing, "-no_nonce", "-cert", leaves[0]!.path, "-reqout", request]).status, 0);
    const encoded = encodeURIComponent(readFileSync(request).toString("base64"));
    const response = await fetch(`${url}/ocsp/${encoded}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/ocsp-response");
    const der = Buffer.from(await response.arrayBuffer());
    writeFileSync(path("get.resp"), der);
    const read = run("openssl", ["ocsp", "-respin", path("get.resp"), "-issuer", files.issuing, "-no_nonce", "-cert", leaves[0]!.path, "-VAfile", files.ocsp]);
    assert.match(read.output, /Response verify OK/);
    assert.match(read.output, /leaf0\.pem: good/);

    const parsed = parseOcspResponse(der);
    assert.equal(parsed.status, "successful");
    const { thisUpdate, nextUpdate } = (parsed as Extract<typeof parsed, { status: "successful" }>).responses[0]!;
    const cacheControl = response.headers.get("cache-control")!;
    assert.match(cacheControl, /^max-age=\d+, public, no-transform, must-revalidate$/);
    const maxAge = Number(/max-age=(\d+)/.exec(cacheControl)![1]);
    assert.ok(maxAge > 0 && Date.now() + maxAge * 1000 < nextUpdate!.getTime(), "max-age ends before nextUpdate");
    assert.equal(response.headers.get("last-modified"), thisUpdate.toUTCString());
    assert.equal(response.headers.get("expires"), nextUpdate!.toUTCString());
    const etag = response.headers.get("etag")!;
    assert.match(etag, /^"[\w-]+"$/);

    // The two workers have their own caches: revalidate until the one that made this ETag answers.
    let notModified = false;
    for (let attempt = 0; attempt < 8 && !notModified; attempt++) {
      const again = await fetch(`${url}/ocsp/${encoded}`, { headers: { "if-none-match": etag, connection: "close" } });
      notModified = again.status === 304;
      await again.arrayBuffer();
    }
    assert.ok(notModified, "If-None-Match with the current ETag gets 304");

    const withSlashes = await fetch(`${url}/ocsp/${readFileSync(request).toString("base64")}`);
    assert.equal(parseOcspResponse(Buffer.from(await withSlashes.arrayBuffer())).status, "successful", "base64 left unencoded in the path works too");

    const posted = await fetch(`${url}/ocsp`, { method: "POST", headers: { "content-type": "application/ocsp-request" }, body: readFileSync(request) });
    assert.equal(posted.status, 200);
    assert.equal(posted.headers.get("cache-control"), "no-store");
    assert.equal(posted.headers.get("etag"), null);
    assert.deepEqual(parseOcspResponse(Buffer.from(await posted.arrayBuffer())).status, "successful");
  });

  test("a revocation made elsewhere reaches every worker, and so does its release from hold", async () => {
    const target = leaves[2]!;
    const fresh = () => ask(["-no_nonce"], ["-cert", target.path]).output; // a new connection each: both workers answer
    for (let index = 0; index < 4; index++) assert.match(fresh(), /leaf2\.pem: good/);
    await revokeCertificate(ca, { serial: target.serial, reason: "certificateHold" });
    await eventually("both workers answering revoked", () => {
      const answers = Array.from({ length: 6 }, fresh);
      return answers.every((output) => /leaf2\.pem: revoked[\s\S]*Reason: certificateHold/.test(output));
    });
    await revokeCertificate(ca, { serial: target.serial, reason: "removeFromCRL" });
    await eventually("both workers answering good again", () => Array.from({ length: 6 }, fresh).every((output) => /leaf2\.pem: good/.test(output)));
  });

  test("GnuTLS ocsptool asks over POST, with and without a nonce, and verifies the delegated responder", () => {
    for (const nonce of ["--nonce", "--no-nonce"]) {
      for (const [leaf, status] of [[leaves[0]!, "good"], [leaves[1]!, "revoked"]] as const) {
        const { status: exit, output } = run("ocsptool", [
          `--ask=${url}/ocsp`, "--load-cert", leaf.path, "--load-issuer", files.issuing, "--load-trust", files.issuing, nonce,
        ]);
        assert.equal(exit, 0, output);
        assert.match(output, new RegExp(`Certificate Status: ${status}`), `${nonce} ${status}`);
        assert.match(output, /Verifying OCSP Response: Success\./);
        if (nonce === "--nonce") assert.match(output, /Nonce: [0-9a-f]+/);
      }
    }
  });

  test("NSS: vfychain checks certificates through the OCSP URL they name; ocspclnt asks a designated responder", () => {
    const db = path("nssdb");
    mkdirSync(db);
    assert.equal(run("certutil", ["-N", "-d", `sql:${db}`, "--empty-password"]).status, 0);
    assert.equal(run("certutil", ["-A", "-d", `sql:${db}`, "-n", "root", "-t", "C,C,C", "-i", files.root]).status, 0);
    assert.equal(run("certutil", ["-A", "-d", `sql:${db}`, "-n", "issuing", "-t", ",,", "-i", files.issuing]).status, 0);
    // -pp: libpkix; -u 4: e-mail signer (the individual-sign profile); OCSP must answer or the check fails.
    const check = (leaf: string) => run("vfychain", ["-d", `sql:${db}`, "-pp", "-u", "4", "-g", "leaf", "-m", "ocsp", "-s", "failIfNoInfo", "-r", leaf]);
    const good = check(leaves[0]!.der);
    assert.equal(good.status, 0, good.output);
    assert.match(good.output, /Chain is good!/);
    const revoked = check(leaves[1]!.der);
    assert.notEqual(revoked.status, 0);
    assert.match(revoked.output, /Chain is bad![\s\S]*ERROR -8180: Peer's Certificate has been revoked\./);

    for (const [nickname, file] of [["ocsp", files.ocsp], ["good", leaves[0]!.path], ["revoked", leaves[1]!.path]]) {
      assert.equal(run("certutil", ["-A", "-d", `sql:${db}`, "-n", nickname!, "-t", ",,", "-i", file!]).status, 0);
    }
    const status = (nickname: string) => run("ocspclnt", ["-S", nickname, "-d", `sql:${db}`, "-l", `${url}/ocsp`, "-t", "ocsp"]).output;
    assert.match(status("good"), /Check of certificate "good" succeeded\./);
    assert.match(status("revoked"), /Check of certificate "revoked" failed\. {2}Reason:\s+Peer's Certificate has been revoked\./);
  });

  test("not OCSP requests: 413 past the size limit, 405, malformed GET, the root's certificates unauthorized", async () => {
    const big = await fetch(`${url}/ocsp`, { method: "POST", headers: { "content-type": "application/ocsp-request" }, body: Buffer.alloc(20_000, 0x30) });
    assert.equal(big.status, 413);
    const put = await fetch(`${url}/ocsp`, { method: "PUT", body: "x" });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get("allow"), "GET, POST");
    for (const bad of ["", "%%%", "AAAA", encodeURIComponent(Buffer.from("not DER at all").toString("base64"))]) {
      const response = await fetch(`${url}/ocsp/${bad}`);
      assert.equal(response.status, 200, bad);
      writeFileSync(path("bad.resp"), Buffer.from(await response.arrayBuffer()));
      assert.match(run("openssl", ["ocsp", "-respin", path("bad.resp"), "-resp_text", "-noverify"]).output, /malformedrequest \(1\)/, bad);
    }
    const root = run("openssl", ["ocsp", "-url", `${url}/ocsp`, "-issuer", files.root, "-cert", files.issuing, "-VAfile", files.ocsp]);
    assert.match(root.output, /Responder Error: unauthorized \(6\)/);
    // So no certificate names this responder for the root's certificates: they are checked by the root's CRL.
    assert.equal(run("openssl", ["x509", "-in", files.issuing, "-noout", "-ocsp_uri"]).output, "", "the issuing CA's certificate names no OCSP URL");
    assert.equal(run("openssl", ["x509", "-in", leaves[0]!.path, "-noout", "-ocsp_uri"]).output.trim(), `${url}/ocsp`, "its certificates do");
    writeFileSync(path("root.crl"), Buffer.from(await (await fetch(`${url}/crl/root.crl`)).arrayBuffer()));
    assert.equal(run("openssl", ["crl", "-inform", "DER", "-in", path("root.crl"), "-out", path("root.crl.pem")]).status, 0);
    const chain = run("openssl", ["verify", "-crl_check", "-CAfile", files.root, "-CRLfile", path("root.crl.pem"), files.issuing]);
    assert.match(chain.output, /: OK/, chain.output);
    assert.equal((await fetch(`${url}/cert/issuing.cer`)).status, 200, "the other services still answer beside OCSP");
  });
});
