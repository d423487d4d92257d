// `qoltanba verify` against a live Qoltanba CA (certificates, CRLs and AIA over HTTP), with
// `openssl ocsp` as the OCSP responder over the same revocations, and CMS and time-stamps made
// by openssl. Each verdict is compared with what openssl itself says about the same objects.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import {
  certificatePath,
  CertificateIssuer,
  createCaServer,
  initCertificateAuthority,
  keyFilePath,
  openCertificateAuthority,
  revokeCertificate,
  type CaServer,
  type CertificateAuthority,
} from "@qoltanba/ca";
import { createSignedData, fromPemOrDer, localSigningKey, makeIin, toPem } from "@qoltanba/pki";
import { BIN, freePort } from "../testSupport.ts";

const run = promisify(execFile);
const PASSWORD = "verify test password 42";

interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a separate process; asynchronously, since the CA serves from this one. */
async function qoltanba(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, QOLTANBA_TRUST_DIR: "", ...env } });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { status: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function verdictOf(args: string[]) {
  const result = await qoltanba(["verify", ...args, "--json"]);
  assert.ok(result.status === 0 || result.status === 1, `exit ${result.status}: ${result.stderr}`);
  return { status: result.status, verdict: JSON.parse(result.stdout) };
}

async function openssl(args: string[], env: Record<string, string> = {}): Promise<string> {
  return (await run("openssl", args, { env: { ...process.env, ...env }, encoding: "utf8" })).stdout;
}

async function opensslStatus(args: string[]): Promise<{ status: number; output: string }> {
  try {
    const { stdout, stderr } = await run("openssl", args, { encoding: "utf8" });
    return { status: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { status: failed.code, output: failed.stdout + failed.stderr };
  }
}

const subjectByOpenssl = async (pem: string) => (await openssl(["x509", "-in", pem, "-noout", "-subject", "-nameopt", "utf8"])).trim().replace(/^subject=/, "");

/** An `openssl ocsp` responder over an index file, signing with the CA's delegated responder key. */
async function startOpensslResponder(work: string, dir: string, index: string): Promise<{ url: string; process: ChildProcess }> {
  const responder = spawn(
    "openssl",
    ["ocsp", "-index", index, "-port", "0", "-rsigner", certificatePath(dir, "ocsp"), "-rkey", keyFilePath(dir, "ocsp"), "-passin", "env:OCSP_KEY_PASSWORD", "-CA", certificatePath(dir, "issuing"), "-nmin", "10"],
    { cwd: work, env: { ...process.env, OCSP_KEY_PASSWORD: PASSWORD }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const port = await new Promise<string>((resolvePort, reject) => {
    let seen = "";
    const look = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /ACCEPT .*:(\d+)/.exec(seen);
      if (match) resolvePort(match[1]!);
    };
    responder.stdout!.on("data", look);
    responder.stderr!.on("data", look);
    responder.once("exit", () => reject(new Error(`openssl ocsp exited: ${seen}`)));
  });
  return { url: `http://127.0.0.1:${port}`, process: responder };
}

const opensslTime = (date: Date) => date.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";

describe("qoltanba verify against a live CA", { concurrency: true }, () => {
  let work: string;
  let dir: string;
  let ca: CertificateAuthority;
  let server: CaServer;
  let responder: { url: string; process: ChildProcess };
  const paths: Record<string, string> = {};
  let revokedAt: Date;
  let goodNotAfter: Date;
  let goodNotBefore: Date;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "qoltanba-verify-"));
    dir = join(work, "ca");
    const port = await freePort();
    await initCertificateAuthority({ dir, password: PASSWORD, baseUrl: `http://127.0.0.1:${port}`, issuingKeyBits: 2048 });
    ca = await openCertificateAuthority(dir, { password: PASSWORD });
    const issuer = new CertificateIssuer(ca);
    const subject = { iin: makeIin(new Date(Date.UTC(1990, 2, 4)), "female", 31)!, surname: "СЕЙІТОВА", givenName: "ДИНАРА" };
    const index: string[] = [];
    for (const name of ["good", "revoked"]) {
      const key = join(work, `${name}.key`);
      const csr = join(work, `${name}.csr`);
      await openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj", "/CN=ignored", "-out", csr]);
      const issued = await issuer.issueCertificate({ csr: readFileSync(csr), profile: "individual-sign", subject });
      paths[name] = join(work, `${name}.pem`);
      paths[`${name}Key`] = key;
      writeFileSync(paths[name]!, toPem("CERTIFICATE", issued.certificate));
      if (name === "good") {
        goodNotBefore = issued.notBefore;
        goodNotAfter = issued.notAfter;
        index.push(["V", opensslTime(issued.notAfter), "", issued.serial.toUpperCase(), "unknown", "/CN=good"].join("\t"));
      } else {
        const revocation = await revokeCertificate(ca, { serial: issued.serial, reason: "keyCompromise" });
        revokedAt = revocation.revokedAt!;
        index.push(["R", opensslTime(issued.notAfter), `${opensslTime(revokedAt)},keyCompromise`, issued.serial.toUpperCase(), "unknown", "/CN=revoked"].join("\t"));
      }
    }
    for (const name of ["root", "issuing", "tsa"] as const) paths[name] = certificatePath(dir, name);
    writeFileSync(join(work, "index.txt"), index.join("\n") + "\n");
    writeFileSync(join(work, "index.txt.attr"), "unique_subject = no\n");
    server = await createCaServer(ca);
    await server.app.listen({ host: "127.0.0.1", port });
    await server.crlPublisher!.generate("full");
    for (const [name, url] of [["issuing.crl", ca.urls.crl], ["root.crl", ca.urls.rootCrl]] as const) {
      writeFileSync(join(work, name), Buffer.from(await (await fetch(url)).arrayBuffer()));
      await openssl(["crl", "-inform", "DER", "-in", join(work, name), "-out", join(work, `${name}.pem`)]);
    }
    responder = await startOpensslResponder(work, dir, join(work, "index.txt"));
  });

  after(async () => {
    responder?.process.kill();
    await server?.close();
    await ca?.close();
  });

  const trustRoot = () => ["--trust", paths.root!];
  const withIssuing = () => [...trustRoot(), "--untrusted", paths.issuing!];

  test("a good certificate is valid by CRL, with the chain openssl builds and the issuing CA checked against the root CRL", async () => {
    const { status, verdict } = await verdictOf(["cert", paths.good!, ...withIssuing(), "--revocation", "crl"]);
    assert.equal(status, 0, JSON.stringify(verdict.reasons));
    assert.equal(verdict.verdict, "valid");
    assert.deepEqual(verdict.chain, [await subjectByOpenssl(paths.good!), await subjectByOpenssl(paths.issuing!), await subjectByOpenssl(paths.root!)]);
    assert.equal(verdict.revocation.status, "good");
    assert.equal(verdict.revocation.method, "crl");
    assert.deepEqual(
      verdict.revocation.checks.map((check: { subject: string; status: string }) => [check.subject, check.status]),
      [
        [verdict.chain[0], "good"],
        [verdict.chain[1], "good"],
      ],
    );
    // openssl agrees, with the same CRLs fetched from the CA's distribution points
    const crlFiles = ["issuing.crl", "root.crl"].flatMap((name) => ["-CRLfile", join(work, `${name}.pem`)]);
    const agreed = await opensslStatus(["verify", "-crl_check_all", "-CAfile", paths.root!, "-untrusted", paths.issuing!, ...crlFiles, paths.good!]);
    assert.equal(agreed.status, 0, agreed.output);
  });

  test("a good certificate is valid by OCSP, asked of openssl's responder", async () => {
    const { status, verdict } = await verdictOf(["cert", paths.good!, ...withIssuing(), "--revocation", "ocsp", "--ocsp-url", responder.url]);
    assert.equal(status, 0, JSON.stringify(verdict.reasons));
    assert.equal(verdict.revocation.method, "ocsp");
    const ocsp = verdict.revocation.checks[0];
    assert.equal(ocsp.status, "good");
    assert.equal(ocsp.source, responder.url);
    assert.match(ocsp.detail, /answered by .*OCSP/);
  });

  test("a revoked certificate is revoked, with its reason and time, by CRL, by OCSP and by both", async () => {
    const crlText = await openssl(["crl", "-in", join(work, "issuing.crl.pem"), "-noout", "-text"]);
    const serial = (await openssl(["x509", "-in", paths.revoked!, "-noout", "-serial"])).trim().replace("serial=", "");
    const listed = new RegExp(`Serial Number: ${serial}\\s+Revocation Date: ([^\\n]+)`).exec(crlText);
    assert.ok(listed, "openssl finds the serial in the CRL the CA serves");
    const modes = [["--revocation", "crl"], ["--revocation", "ocsp", "--ocsp-url", responder.url], ["--revocation", "both", "--ocsp-url", responder.url]];
    const results = await Promise.all(modes.map((mode) => verdictOf(["cert", paths.revoked!, ...withIssuing(), ...mode])));
    results.forEach(({ status, verdict }, index) => {
      const mode = modes[index]!.join(" ");
      assert.equal(status, 1, mode);
      assert.equal(verdict.verdict, "revoked", mode);
      assert.equal(verdict.revocation.reason, "keyCompromise");
      assert.equal(new Date(verdict.revocation.revokedAt).getTime(), Math.floor(revokedAt.getTime() / 1000) * 1000);
      assert.equal(new Date(verdict.revocation.revokedAt).getTime(), new Date(listed![1]!).getTime());
      assert.match(verdict.reasons[0], /revoked at .* \(keyCompromise\)/);
    });
    assert.equal(results[2]!.verdict.revocation.method, "ocsp+crl");
    const human = await qoltanba(["verify", "cert", paths.revoked!, ...withIssuing(), "--revocation", "crl"]);
    assert.equal(human.status, 1);
    assert.match(human.stdout, /^REVOKED\n/);
    assert.match(human.stdout, /keyCompromise/);
  });

  test("by default OCSP is asked first and CRLs answer when it cannot", async () => {
    const viaResponder = await verdictOf(["cert", paths.good!, ...withIssuing(), "--ocsp-url", responder.url]);
    assert.equal(viaResponder.verdict.verdict, "valid");
    assert.equal(viaResponder.verdict.revocation.method, "ocsp");
    const unreachable = `http://127.0.0.1:${await freePort()}/ocsp`;
    const fallback = await verdictOf(["cert", paths.good!, ...withIssuing(), "--ocsp-url", unreachable]);
    assert.equal(fallback.verdict.verdict, "valid");
    assert.equal(fallback.verdict.revocation.method, "crl");
    assert.match(fallback.verdict.reasons.join("\n"), /OCSP gave no answer .*; its CRL was used/);
    const ocspOnly = await verdictOf(["cert", paths.good!, ...withIssuing(), "--revocation", "ocsp", "--ocsp-url", unreachable]);
    assert.equal(ocspOnly.status, 1);
    assert.equal(ocspOnly.verdict.verdict, "unknown");
  });

  test("the issuing CA's certificate is fetched from the leaf's authorityInfoAccess when not given", async () => {
    const { status, verdict } = await verdictOf(["cert", paths.good!, ...trustRoot(), "--revocation", "crl"]);
    assert.equal(status, 0, JSON.stringify(verdict.reasons));
    assert.equal(verdict.chain.length, 3);
  });

  test("--at before or after the validity period makes the certificate invalid", async () => {
    const late = new Date(goodNotAfter.getTime() + 86_400_000).toISOString();
    const expired = await verdictOf(["cert", paths.good!, ...withIssuing(), "--at", late]);
    assert.equal(expired.status, 1);
    assert.equal(expired.verdict.verdict, "invalid");
    assert.ok(expired.verdict.reasons.some((reason: string) => reason.includes(`expired on ${goodNotAfter.toISOString()}`)), expired.verdict.reasons.join("\n"));
    const early = new Date(goodNotBefore.getTime() - 86_400_000).toISOString().slice(0, 10);
    const notYet = await verdictOf(["cert", paths.good!, ...withIssuing(), "--at", early]);
    assert.equal(notYet.verdict.verdict, "invalid");
    assert.match(notYet.verdict.reasons.join("\n"), /not valid before/);
    const openssls = await opensslStatus(["verify", "-attime", String(Math.floor(Date.parse(late) / 1000)), "-CAfile", paths.root!, "-untrusted", paths.issuing!, paths.good!]);
    assert.match(openssls.output, /certificate has expired/);
  });

  test("a wrong root gives invalid with a clear reason: not the issuer, or an impostor with the same name", async () => {
    const other = join(work, "other-root.pem");
    await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(work, "other.key"), "-subj", "/CN=Another Root/C=KZ", "-days", "2", "-out", other]);
    const unrelated = await verdictOf(["cert", paths.good!, "--trust", other, "--untrusted", paths.issuing!, "--revocation", "none"]);
    assert.equal(unrelated.status, 1);
    assert.equal(unrelated.verdict.verdict, "invalid");
    // the issuing CA names its root's certificate in authorityInfoAccess: fetched, it is not trusted
    assert.match(unrelated.verdict.reasons[0], /^no chain to a trusted root: CN=.*QOLTANBA.* is a root that is not trusted$/);


    const rootSubject = await subjectByOpenssl(paths.root!);
    const impostor = join(work, "impostor-root.pem");
    const slashed = "/" + rootSubject.split(", ").join("/");
    await openssl(["req", "-x509", "-utf8", "-newkey", "rsa:2048", "-nodes", "-keyout", join(work, "impostor.key"), "-subj", slashed, "-days", "2", "-out", impostor]);
    assert.equal(await subjectByOpenssl(impostor), rootSubject);
    const forged = await verdictOf(["cert", paths.good!, "--trust", impostor, "--untrusted", paths.issuing!, "--revocation", "none"]);
    assert.equal(forged.verdict.verdict, "invalid");
    assert.match(forged.verdict.reasons.join("\n"), /its signature does not verify with the key of/);
    const openssls = await opensslStatus(["verify", "-CAfile", impostor, "-untrusted", paths.issuing!, paths.good!]);
    assert.notEqual(openssls.status, 0, "openssl rejects the impostor root too");
  });

  test("a CMS signed by openssl verifies (attached, detached, base64) and fails for other content", async () => {
    const data = join(work, "document.txt");
    writeFileSync(data, "Келісімшарт №42: қол қойылды.\n");
    const attached = join(work, "attached.p7s");
    const detached = join(work, "detached.p7s");
    await openssl(["cms", "-sign", "-binary", "-nodetach", "-in", data, "-signer", paths.good!, "-inkey", paths.goodKey!, "-outform", "DER", "-out", attached]);
    await openssl(["cms", "-sign", "-binary", "-in", data, "-signer", paths.good!, "-inkey", paths.goodKey!, "-certfile", paths.issuing!, "-outform", "DER", "-out", detached]);
    const checked = await opensslStatus(["cms", "-verify", "-binary", "-inform", "DER", "-in", detached, "-content", data, "-CAfile", paths.root!, "-purpose", "any", "-out", "/dev/null"]);
    assert.equal(checked.status, 0, checked.output);

    const onAttached = await verdictOf(["cms", attached, ...withIssuing(), "--revocation", "crl"]);
    assert.equal(onAttached.status, 0, JSON.stringify(onAttached.verdict.reasons));
    assert.equal(onAttached.verdict.signers[0].subject, await subjectByOpenssl(paths.good!));
    assert.equal(onAttached.verdict.revocation.status, "good");
    const onDetached = await verdictOf(["cms", detached, ...trustRoot(), "--content", data, "--revocation", "crl"]);
    assert.equal(onDetached.verdict.verdict, "valid", JSON.stringify(onDetached.verdict.reasons));
    assert.equal(onDetached.verdict.detached, true);

    const base64 = join(work, "detached.b64");
    writeFileSync(base64, readFileSync(detached).toString("base64"));
    assert.equal((await verdictOf(["cms", base64, ...trustRoot(), "--content", data, "--revocation", "crl"])).verdict.verdict, "valid");

    const other = join(work, "other.txt");
    writeFileSync(other, "Келісімшарт №43\n");
    const tampered = await verdictOf(["cms", detached, ...trustRoot(), "--content", other, "--revocation", "crl"]);
    assert.equal(tampered.verdict.verdict, "invalid");
    assert.match(tampered.verdict.reasons.join("\n"), /the content does not match its signed digest/);
    assert.notEqual((await opensslStatus(["cms", "-verify", "-binary", "-inform", "DER", "-in", detached, "-content", other, "-CAfile", paths.root!, "-purpose", "any"])).status, 0);

    const missing = await qoltanba(["verify", "cms", detached, ...trustRoot()]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /detached/);
  });

  test("a CMS made by pki's createSignedData verifies; one by a revoked signer is revoked", async () => {
    for (const name of ["good", "revoked"]) {
      const signed = await createSignedData({
        content: Buffer.from("NCALayer-style CAdES-BES"),
        encapsulate: true,
        signer: { certificate: fromPemOrDer(readFileSync(paths[name]!), ["CERTIFICATE"], name), key: localSigningKey(createPrivateKey(readFileSync(paths[`${name}Key`]!))) },
        extraCertificates: [fromPemOrDer(readFileSync(paths.issuing!), ["CERTIFICATE"], "issuing")],
      });
      const file = join(work, `${name}-pki.p7s`);
      writeFileSync(file, toPem("CMS", signed));
      const checked = await opensslStatus(["cms", "-verify", "-in", file, "-inform", "PEM", "-CAfile", paths.root!, "-purpose", "any", "-out", "/dev/null"]);
      assert.equal(checked.status, 0, checked.output);
      const { verdict } = await verdictOf(["cms", file, ...trustRoot(), "--revocation", "crl"]);
      assert.equal(verdict.verdict, name === "good" ? "valid" : "revoked", JSON.stringify(verdict.reasons));
    }
  });

  test("a time-stamp reply made by openssl ts with the CA's TSA key verifies, over the right data only", async () => {
    const data = join(work, "stamped.bin");
    writeFileSync(data, "data to time-stamp");
    const config = join(work, "tsa.cnf");
    writeFileSync(
      config,
      [
        "[ tsa ]",
        "default_tsa = qoltanba",
        "[ qoltanba ]",
        `serial = ${join(work, "tsaserial")}`,
        "crypto_device = builtin",
        "signer_digest = sha256",
        "default_policy = 1.2.398.3.3.2.6.1",
        "digests = sha256",
        "ess_cert_id_alg = sha256",
        "accuracy = secs:1",
        "ordering = no",
        "tsa_name = no",
        "ess_cert_id_chain = no",
        "",
      ].join("\n"),
    );
    writeFileSync(join(work, "tsaserial"), "01\n");
    const query = join(work, "query.tsq");
    const reply = join(work, "reply.tsr");
    await openssl(["ts", "-query", "-data", data, "-sha256", "-cert", "-out", query]);
    await openssl(["ts", "-reply", "-config", config, "-queryfile", query, "-signer", paths.tsa!, "-inkey", keyFilePath(dir, "tsa"), "-passin", "env:TSA_KEY_PASSWORD", "-out", reply], { TSA_KEY_PASSWORD: PASSWORD });
    const chainFile = join(work, "tsa-chain.pem");
    writeFileSync(chainFile, readFileSync(paths.root!, "utf8") + readFileSync(paths.issuing!, "utf8"));
    const checked = await opensslStatus(["ts", "-verify", "-in", reply, "-data", data, "-CAfile", chainFile]);
    assert.match(checked.output, /Verification: OK/);

    const { status, verdict } = await verdictOf(["tsr", reply, ...withIssuing(), "--content", data, "--revocation", "crl"]);
    assert.equal(status, 0, JSON.stringify(verdict.reasons));
    assert.equal(verdict.kind, "timestamp");
    assert.equal(verdict.policy, "1.2.398.3.3.2.6.1");
    assert.equal(verdict.tsa, await subjectByOpenssl(paths.tsa!));
    assert.equal(verdict.at, verdict.genTime);
    assert.equal(verdict.revocation.checks[0].subject, verdict.tsa);

    const wrong = join(work, "not-stamped.bin");
    writeFileSync(wrong, "other data");
    const mismatch = await verdictOf(["tsr", reply, ...withIssuing(), "--content", wrong, "--revocation", "none"]);
    assert.equal(mismatch.verdict.verdict, "invalid");
    assert.match(mismatch.verdict.reasons.join("\n"), /not over the given content/);

    const notTsa = await verdictOf(["tsr", reply, "--trust", paths.tsa!, "--revocation", "none"]);
    assert.equal(notTsa.verdict.verdict, "valid", "trusting the TSA certificate itself is enough");
  });

  test("a time-stamp from the CA's own TSA verifies, as openssl ts -verify says", async () => {
    const data = join(work, "qoltanba-stamped.bin");
    writeFileSync(data, "stamped by Qoltanba's TSA");
    const query = join(work, "qoltanba.tsq");
    await openssl(["ts", "-query", "-data", data, "-sha256", "-cert", "-out", query]);
    const response = await fetch(ca.urls.tsa, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: readFileSync(query) });
    assert.equal(response.status, 200);
    const reply = join(work, "qoltanba.tsr");
    writeFileSync(reply, Buffer.from(await response.arrayBuffer()));
    const chainFile = join(work, "qoltanba-tsa-chain.pem");
    writeFileSync(chainFile, readFileSync(paths.root!, "utf8") + readFileSync(paths.issuing!, "utf8"));
    assert.match((await opensslStatus(["ts", "-verify", "-in", reply, "-data", data, "-CAfile", chainFile])).output, /Verification: OK/);
    const { status, verdict } = await verdictOf(["tsr", reply, ...withIssuing(), "--content", data, "--revocation", "crl"]);
    assert.equal(status, 0, JSON.stringify(verdict.reasons));
    assert.equal(verdict.tsa, await subjectByOpenssl(paths.tsa!));
  });

  test("CRLs and OCSP responses fetched from the CA verify as files", async () => {
    const crl = await verdictOf(["crl", join(work, "issuing.crl"), ...withIssuing(), "--revocation", "crl"]);
    assert.equal(crl.status, 0, JSON.stringify(crl.verdict.reasons));
    assert.equal(crl.verdict.entries, 1);
    const response = join(work, "revoked.ocsp");
    await openssl(["ocsp", "-issuer", paths.issuing!, "-cert", paths.revoked!, "-url", responder.url, "-respout", response, "-noverify"]);
    const ocsp = await verdictOf(["ocsp", response, ...withIssuing(), "--revocation", "crl"]);
    assert.equal(ocsp.status, 1);
    assert.equal(ocsp.verdict.verdict, "revoked", JSON.stringify(ocsp.verdict.reasons));
    assert.equal(ocsp.verdict.responses[0].reason, "keyCompromise");
    assert.equal(ocsp.verdict.responder, await subjectByOpenssl(certificatePath(dir, "ocsp")));
  });

  test("usage and input errors exit 2 with a message", async () => {
    const trustDir = mkdtempSync(join(tmpdir(), "qoltanba-trust-"));
    writeFileSync(join(trustDir, "root.pem"), readFileSync(paths.root!));
    const garbage = join(work, "garbage.pem");
    writeFileSync(garbage, "not a certificate at all");
    const [noTrust, fromDir, badTime, badKind, badMode, bad, help] = await Promise.all([
      qoltanba(["verify", "cert", paths.good!]),
      qoltanba(["verify", "cert", paths.good!, "--untrusted", paths.issuing!, "--revocation", "crl"], { QOLTANBA_TRUST_DIR: trustDir }),
      qoltanba(["verify", "cert", paths.good!, ...trustRoot(), "--at", "yesterday"]),
      qoltanba(["verify", "certificate", paths.good!, ...trustRoot()]),
      qoltanba(["verify", "cert", paths.good!, ...trustRoot(), "--revocation", "sometimes"]),
      qoltanba(["verify", "cert", garbage, ...trustRoot()]),
      qoltanba(["verify", "--help"]),
    ]);
    assert.equal(noTrust.status, 2);
    assert.match(noTrust.stderr, /no trust anchors: give --trust FILE or set QOLTANBA_TRUST_DIR/);
    assert.equal(fromDir.status, 0, fromDir.stdout + fromDir.stderr);
    assert.match(fromDir.stdout, /^VALID\n/);
    for (const refused of [badTime, badKind, badMode, bad]) assert.equal(refused.status, 2, refused.stderr);
    assert.match(badTime.stderr, /--at must be an ISO 8601 date/);
    assert.match(bad.stderr, /neither PEM nor DER/);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: qoltanba verify cert\|crl\|ocsp\|tsr\|cms FILE/);
  });
});

test("qoltanba verify on real NCA material: the RSA OCSP response is valid, a GOST time-stamp is unsupported", async (t) => {
  const repoRoot = resolve(import.meta.dirname, "../../../..");
  const fixtures = resolve(repoRoot, "../shared/fixtures/nca");
  if (!existsSync(fixtures)) {
    t.diagnostic(`NCA fixtures folder ${fixtures} is absent: interop not checked`);
    return;
  }
  const [rsa, gost] = await Promise.all([
    qoltanba(["verify", "ocsp", join(fixtures, "ocsp/ocsp_response_individual_sign_2004.bin"), "--trust", join(fixtures, "test-ca-2022/nca_rsa_test.crt")]),
    qoltanba(["verify", "tsr", join(fixtures, "tsp/tsp_response.bin"), "--trust", join(fixtures, "test-ca-2022/nca_gost_test.crt")]),
  ]);
  assert.equal(rsa.status, 0, rsa.stdout + rsa.stderr);
  assert.match(rsa.stdout, /^VALID\n[\s\S]*: good\n/);
  assert.equal(gost.status, 1, gost.stdout + gost.stderr);
  assert.match(gost.stdout, /^UNSUPPORTED\n[\s\S]*- GOST signature: not supported yet\n$/);
});
