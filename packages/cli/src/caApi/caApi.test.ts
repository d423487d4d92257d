// The CA API of a real `qoltanba serve --ca-api-listen` process, with credentials made by
// `qoltanba ca api-credentials`: the TLS door checked with `openssl s_client`, the portal's remote
// CaClient against it (certificates checked with `openssl verify`), its refusals compared with the
// in-process client's, and the client's bad paths (the CA down or silent).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { initCertificateAuthority, openCertificateAuthority, readApiCredentials, type CertificateAuthority } from "@qoltanba/ca";
import { inProcessCaClient, remoteCaClient, type CaClient, type RemoteCaClientOptions } from "@qoltanba/portal";
import { toPem } from "@qoltanba/pki";
import { openssl, opensslCsr, opensslResult, temporaryDirectory, TEST_PASSWORD } from "../../../ca/src/testSupport.ts";
import { PERSON } from "../../../portal/src/testSupport.ts";
import { BIN, freePort, run, startServe, stopServe } from "../testSupport.ts";

const SUBJECT = { iin: PERSON.iin, surname: PERSON.surname, givenName: PERSON.givenName };
const env = { ...process.env, QOLTANBA_KEY_PASSWORD: TEST_PASSWORD };

describe("the CA API between portal nodes and a signer node", () => {
  const work = temporaryDirectory("qoltanba-ca-api-");
  const path = (name: string) => join(work, name);
  const dir = path("ca");
  let server: ChildProcess | undefined;
  let apiUrl: string;
  let ca: CertificateAuthority;
  let remote: CaClient & { close(): void };
  let local: CaClient;
  let clientOptions: Omit<RemoteCaClientOptions, "url">;
  const chain = path("chain.pem");

  /** openssl s_client sends one HTTP request; returns what the handshake and the server said. */
  const httpRequest = `POST /ca-api/v1/ca-certificates HTTP/1.1\r\nHost: ca-api\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
  const sClientRequest = (extra: string[]) => {
    const args = ["s_client", "-connect", new URL(apiUrl).host, "-CAfile", path("server/trust.pem"), "-verify_return_error", "-ign_eof", ...extra];
    const result = spawnSync("openssl", args, { input: httpRequest, encoding: "utf8" });
    return `${result.stdout}${result.stderr}`;
  };

  before(async () => {
    const ports = [await freePort(), await freePort()];
    await initCertificateAuthority({ dir, password: TEST_PASSWORD, issuingKeyBits: 2048, baseUrl: `http://127.0.0.1:${ports[0]}` });
    for (const [role, value, out] of [["--server", "127.0.0.1", "server"], ["--client", "portal-1", "portal-1"]] as const) {
      const made = run(process.execPath, [BIN, "ca", "api-credentials", "--dir", dir, role, value, "--out", path(out)], env);
      assert.equal(made.status, 0, made.output);
    }
    const started = await startServe(["--dir", dir, "--listen", `127.0.0.1:${ports[0]}`, "--ca-api-listen", `127.0.0.1:${ports[1]}`, "--ca-api-credentials", path("server")], env);
    server = started.server;
    apiUrl = /CA API \(mutual TLS\) on (https:\/\/\S+)/.exec(started.log)![1]!;
    ca = await openCertificateAuthority(dir, { password: TEST_PASSWORD });
    local = inProcessCaClient(ca);
    const credentials = await readApiCredentials(path("portal-1"));
    clientOptions = {
      clientCertificate: credentials.certificate,
      clientKey: credentials.key,
      caTrust: credentials.trust,
      caCertificates: { root: ca.certificates.root, issuing: ca.certificates.issuing },
    };
    remote = remoteCaClient({ url: apiUrl, ...clientOptions });
    writeFileSync(chain, toPem("CERTIFICATE", ca.certificates.root) + toPem("CERTIFICATE", ca.certificates.issuing));
  });

  after(async () => {
    remote?.close();
    await stopServe(server);
    await ca?.close();
  });

  test("the credentials: keys readable by their owner only, certificates that openssl verifies under the internal CA for their purpose", () => {
    for (const folder of ["server", "portal-1"]) assert.equal(statSync(path(`${folder}/key.pem`)).mode & 0o777, 0o600, folder);
    assert.equal(statSync(join(dir, "api", "ca.key.pem")).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dir, "api", "ca.key.pem"), "utf8"), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    assert.notEqual(opensslResult(["pkey", "-in", join(dir, "api", "ca.key.pem"), "-passin", "pass:wrong", "-noout"]).status, 0);
    const serverCheck = run("openssl", ["verify", "-x509_strict", "-purpose", "sslserver", "-verify_ip", "127.0.0.1", "-CAfile", path("server/trust.pem"), path("server/certificate.pem")]);
    assert.equal(serverCheck.status, 0, serverCheck.output);
    const clientCheck = run("openssl", ["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", path("portal-1/trust.pem"), path("portal-1/certificate.pem")]);
    assert.equal(clientCheck.status, 0, clientCheck.output);
    const again = run(process.execPath, [BIN, "ca", "api-credentials", "--dir", dir, "--client", "portal-1", "--out", path("portal-1")], env);
    assert.equal(again.status, 2);
    assert.match(again.output, /already holds credentials/);
    const listed = run(process.execPath, [BIN, "ca", "api-credentials", "--dir", dir, "--list"], env);
    assert.match(listed.output, /^portal-1\tsha256 [0-9a-f]{64}\tuntil /m);
  });

  test("ca api-credentials refuses bad input before it reads the key password: none is given, and its file does not exist", () => {
    const { QOLTANBA_KEY_PASSWORD: _, ...noPassword } = env;
    const allowList = readFileSync(join(dir, "api", "clients.json"), "utf8");
    const out = ["--out", path("never")];
    const refusals: Array<[string[], RegExp]> = [
      [["--client", "portal 2", ...out], /--client: a node name is 1 to 63 letters, digits, '\.', '_' or '-', got "portal 2"/],
      [["--client", "../portal-2", ...out], /--client: a node name is .*got "\.\.\/portal-2"/],
      [["--client", "", ...out], /--client is required/],
      [["--server", "127.0.0.1,bad host", ...out], /--server: not a host name or IP address: "bad host"/],
      [["--server", " , ", ...out], /--server needs the host name or address portal nodes connect to/],
      [["--client", "portal-2", "--out", path("portal-1")], /already holds credentials: choose another --out/],
      [["--client", "portal-2"], /--out is required/],
      [["--client", "portal-2", "--server", "127.0.0.1", ...out], /give one of --server, --client, --remove or --list/],
      [["--list"], /--password-file goes with --server or --client, not --list/],
      [["--remove", "portal-1", ...out], /--out goes with --server or --client, not --remove/],
    ];
    for (const [args, expected] of refusals) {
      const refused = run(process.execPath, [BIN, "ca", "api-credentials", "--dir", dir, ...args, "--password-file", path("no-such-password")], noPassword);
      assert.equal(refused.status, 2, `${args.join(" ")}: ${refused.output}`);
      assert.match(refused.output, expected, args.join(" "));
      assert.doesNotMatch(refused.output, /cannot read the password file|key password is needed/, args.join(" "));
    }
    assert.equal(readFileSync(join(dir, "api", "clients.json"), "utf8"), allowList, "the allow-list is untouched");
    assert.equal(existsSync(path("never")), false, "no credentials written");
  });

  test("openssl s_client: no client certificate and one from another CA are refused; the node's certificate is let in", () => {
    assert.doesNotMatch(sClientRequest([]), /HTTP\/1\.1/);
    assert.match(sClientRequest(["-tls1_2"]), /alert handshake failure/);
    assert.match(sClientRequest(["-tls1_1"]), /no protocols available|unsupported protocol|alert protocol version/);
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path("rogue-ca.key"), "-out", path("rogue-ca.pem"), "-subj", "/CN=Qoltanba CA API internal CA", "-days", "2"]);
    openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path("rogue.key"), "-out", path("rogue.csr"), "-subj", "/CN=portal-1/O=Qoltanba CA API"]);
    openssl(["x509", "-req", "-in", path("rogue.csr"), "-CA", path("rogue-ca.pem"), "-CAkey", path("rogue-ca.key"), "-CAcreateserial", "-days", "2", "-out", path("rogue.pem")]);
    // Node checks the certificate chain once the handshake is done and drops the connection unanswered.
    const rogue = ["-cert", path("rogue.pem"), "-key", path("rogue.key")];
    for (const version of ["-tls1_3", "-tls1_2"]) {
      const refused = sClientRequest([...rogue, version]);
      assert.doesNotMatch(refused, /HTTP\/1\.1/, version);
      assert.match(refused, /unexpected eof while reading|read:errno=104/, version); // closed, or reset (ECONNRESET)
    }
    const admitted = sClientRequest(["-cert", path("portal-1/certificate.pem"), "-key", path("portal-1/key.pem")]);
    assert.match(admitted, /Verify return code: 0 \(ok\)/);
    assert.match(admitted, /Protocol *: TLSv1\.[23]|New, TLSv1\.3/);
    assert.match(admitted, /HTTP\/1\.1 200/);
  });

  test("the remote client: issued by the signer (openssl verify), looked up, revoked, and each change audited with the node's subject", async () => {
    const { csr } = opensslCsr(work, "person-sign");
    const issued = await remote.issueCertificate({ csr: csr.toString(), profile: "individual-sign", subject: SUBJECT, storage: "file" });
    writeFileSync(path("issued.pem"), toPem("CERTIFICATE", issued.certificate));
    const verified = run("openssl", ["verify", "-CAfile", chain, path("issued.pem")]);
    assert.equal(verified.status, 0, verified.output);
    const spki = openssl(["x509", "-in", path("issued.pem"), "-pubkey", "-noout"]).toString();
    const spkiSha256 = openssl(["dgst", "-sha256", "-r"], openssl(["pkey", "-pubin", "-outform", "DER"], spki)).toString().slice(0, 64);
    assert.equal(await remote.firstCertificateOfKey(spkiSha256), issued.serial);
    assert.equal(await remote.firstCertificateOfKey("0".repeat(64)), undefined);
    assert.deepEqual(await remote.certificate(issued.serial), await local.certificate(issued.serial));
    await remote.revoke(issued.serial, "keyCompromise");
    const revoked = await remote.certificate(issued.serial);
    assert.equal(revoked?.revocationReason, "keyCompromise");
    assert.deepEqual(revoked, await local.certificate(issued.serial));
    assert.equal(await remote.certificate("0badc0de"), undefined);
    const calls = [];
    for await (const entry of ca.store.auditEntries()) if (entry.action === "api-call") calls.push(JSON.parse(entry.details) as Record<string, string>);
    assert.deepEqual(calls.map(({ call, serial }) => [call, serial]), [["issueCertificate", issued.serial], ["revoke", issued.serial]]);
    for (const entry of calls) assert.match(entry.node!, /CN=portal-1/);
  });

  test("the CA's refusals come back with the code and message the in-process client gives", async () => {
    const { csr } = opensslCsr(work, "twice");
    const request = { csr: csr.toString(), profile: "individual-auth" as const, subject: SUBJECT, storage: "file" as const };
    const issued = await local.issueCertificate(request);
    await local.revoke(issued.serial, "superseded");
    const inProcess = await local.revoke(issued.serial, "superseded").then(() => assert.fail("revoked twice"), (error: unknown) => error as { code: string; message: string });
    await assert.rejects(remote.revoke(issued.serial, "superseded"), { name: "InputError", code: inProcess.code, message: inProcess.message });
    const other = { ...request, subject: { ...SUBJECT, iin: "781123301050", surname: "БАСҚА" } };
    const inProcessKey = await local.issueCertificate(other).then(() => assert.fail("issued"), (error: unknown) => error as { code: string; message: string });
    assert.equal(inProcessKey.code, "key_already_certified");
    await assert.rejects(remote.issueCertificate(other), { code: inProcessKey.code, message: inProcessKey.message });
    await assert.rejects(remote.issueCertificate({ ...request, csr: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n" }), (error: { name: string; code: string }) => error.name === "InputError" && /csr/.test(error.code));
  });

  test("bad input is refused at the door with 400 naming the field; nothing reaches the CA", async () => {
    const post = (path: string, body: string) => {
      writeFileSync(join(work, "bad.json"), body);
      return run("curl", ["-sS", "--cacert", join(work, "server/trust.pem"), "--cert", join(work, "portal-1/certificate.pem"), "--key", join(work, "portal-1/key.pem"), "-H", "content-type: application/json", "--data-binary", `@${join(work, "bad.json")}`, "-w", "\n%{http_code}", `${apiUrl}${path}`]).output;
    };
    assert.match(post("/ca-api/v1/revoke", JSON.stringify({ serial: "zz", reason: "keyCompromise" })), /"error":"bad_request".*body\/serial must match pattern[\s\S]*\n400$/);
    assert.match(post("/ca-api/v1/issue-certificate", JSON.stringify({ csr: "x".repeat(100_000), profile: "individual-auth", subject: {}, storage: "file" })), /body\/csr must NOT have more than 90000 characters[\s\S]*\n400$/);
    assert.match(post("/ca-api/v1/issue-certificate", JSON.stringify({ csr: "x", profile: "tls-server", subject: {}, storage: "file" })), /body\/profile must be equal to one of the allowed values[\s\S]*\n400$/);
    assert.match(post("/ca-api/v1/certificate", JSON.stringify({ serial: "01", extra: 1 })), /must NOT have additional properties[\s\S]*\n400$/);
    assert.match(post("/ca-api/v1/certificate", "{"), /"error":"bad_request"[\s\S]*\n400$/);
  });

  test("the client's bad paths: a CA that is down or silent is `ca_unavailable`, never a crash", async () => {
    const logged: string[] = [];
    const down = remoteCaClient({ url: `https://127.0.0.1:${await freePort()}`, ...clientOptions, log: (line) => logged.push(line) });
    await assert.rejects(down.certificate("01"), { name: "InputError", code: "ca_unavailable", message: "the CA cannot be reached right now; please try again later" });
    await assert.rejects(down.issueCertificate({ csr: "x", profile: "individual-auth", subject: SUBJECT, storage: "file" }), { code: "ca_unavailable" });
    assert.match(logged.join("\n"), /ECONNREFUSED/);
    down.close();
    // A machine that takes the connection and never answers.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    const stuck = remoteCaClient({ url: `https://127.0.0.1:${port}`, ...clientOptions, timeoutMilliseconds: 300, log: (line) => logged.push(line) });
    await assert.rejects(stuck.revoke("01", "keyCompromise"), { code: "ca_unavailable" });
    assert.match(logged.at(-1)!, /no answer within 300 ms/);
    stuck.close();
    for (const socket of sockets) socket.destroy();
    silent.close();
  });

  test("a portal node taken off the list is locked out at once, on its open connection too", async () => {
    assert.equal((await remote.certificate("01")), undefined, "the kept-alive connection works");
    const removed = run(process.execPath, [BIN, "ca", "api-credentials", "--dir", dir, "--remove", "portal-1"], env);
    assert.equal(removed.status, 0, removed.output);
    await assert.rejects(remote.certificate("01"), { code: "node_not_allowed" });
    assert.match(sClientRequest(["-cert", path("portal-1/certificate.pem"), "-key", path("portal-1/key.pem")]), /HTTP\/1\.1 403/);
  });
});
