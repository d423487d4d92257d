// The CA API of `qoltanba serve --workers 2 --ca-api-listen`: every worker serves it on the one
// port (node:cluster shares it), so new connections from portal nodes reach either worker. Checked:
// both answer; certificates issued and revoked in parallel through both (writes of two processes
// to one SQLite file) verify with openssl and each call is in the audit chain, which `ca audit
// verify` finds intact; a removed node is refused by both.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { initCertificateAuthority, openCertificateAuthority, readApiCredentials, type CertificateAuthority } from "@qoltanba/ca";
import { remoteCaClient, type CaClient } from "@qoltanba/portal";
import { toPem } from "@qoltanba/pki";
import { opensslCsr, temporaryDirectory, TEST_PASSWORD } from "../../../ca/src/testSupport.ts";
import { PERSON } from "../../../portal/src/testSupport.ts";
import { BIN, eventually, freePort, run, startServe, stopServe } from "../testSupport.ts";

const SUBJECT = { iin: PERSON.iin, surname: PERSON.surname, givenName: PERSON.givenName };
const env = { ...process.env, QOLTANBA_KEY_PASSWORD: TEST_PASSWORD };

describe("the CA API of serve --workers 2", () => {
  const work = temporaryDirectory("qoltanba-ca-api-workers-");
  const path = (name: string) => join(work, name);
  const dir = path("ca");
  let server: ChildProcess | undefined;
  let apiUrl: string;
  let ca: CertificateAuthority;
  /** What serve wrote: the workers' JSON log lines tell which process took which request. */
  let output = "";
  const clients: Array<CaClient & { close(): void }> = [];

  /** A portal node's client: its own connections, so the cluster hands them to either worker. */
  const clientOf = async (node: string) => {
    const credentials = await readApiCredentials(path(node));
    const client = remoteCaClient({
      url: apiUrl,
      clientCertificate: credentials.certificate,
      clientKey: credentials.key,
      caTrust: credentials.trust,
      caCertificates: { root: ca.certificates.root, issuing: ca.certificates.issuing },
    });
    clients.push(client);
    return client;
  };
  /** One request on a new connection (curl): the HTTP status. */
  const statusOnNewConnection = (node: string) => {
    const answer = run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--cacert", path("server/trust.pem"), "--cert", path(`${node}/certificate.pem`), "--key", path(`${node}/key.pem`), `${apiUrl}/ca-api/v1/ca-certificates`]);
    return answer.output;
  };
  /** The processes that took CA API requests in the output from `since` on. */
  const caApiPids = (since: number) =>
    new Set([...output.slice(since).matchAll(/^\{[^\n]*?"pid":(\d+),[^\n]*?"url":"\/ca-api\/[^\n]*?"msg":"incoming request"\}$/gm)].map((match) => Number(match[1])));

  before(async () => {
    const ports = [await freePort(), await freePort()];
    await initCertificateAuthority({ dir, password: TEST_PASSWORD, issuingKeyBits: 2048, baseUrl: `http://127.0.0.1:${ports[0]}` });
    for (const [role, value, out] of [["--server", "127.0.0.1", "server"], ["--client", "portal-1", "portal-1"], ["--client", "portal-2", "portal-2"]] as const) {
      const made = run(process.execPath, [BIN, "ca", "api-credentials", "--dir", dir, role, value, "--out", path(out)], env);
      assert.equal(made.status, 0, made.output);
    }
    const args = ["--dir", dir, "--listen", `127.0.0.1:${ports[0]}`, "--workers", "2", "--ca-api-listen", `127.0.0.1:${ports[1]}`, "--ca-api-credentials", path("server")];
    const started = await startServe(args, env, (text) => (output += text));
    server = started.server;
    const announced = [...started.log.matchAll(/CA API \(mutual TLS\) on (https:\/\/\S+)/g)].map((match) => match[1]!);
    assert.deepEqual(announced, [`https://127.0.0.1:${ports[1]}`, `https://127.0.0.1:${ports[1]}`], "each worker serves the CA API on the one port");
    apiUrl = announced[0]!;
    ca = await openCertificateAuthority(dir, { password: TEST_PASSWORD });
    writeFileSync(path("chain.pem"), toPem("CERTIFICATE", ca.certificates.root) + toPem("CERTIFICATE", ca.certificates.issuing));
  });

  after(async () => {
    for (const client of clients) client.close();
    await stopServe(server);
    await ca?.close();
  });

  test("new connections reach both workers, never the primary", async () => {
    const since = output.length;
    for (let attempt = 0; attempt < 4; attempt++) assert.equal(statusOnNewConnection("portal-1"), "200");
    await eventually("both workers' logs show CA API requests", () => caApiPids(since).size === 2);
    assert.ok(!caApiPids(since).has(server!.pid!), "the primary serves no CA API");
  });

  test("certificates issued and revoked in parallel through both workers: openssl verifies each, the audit chain holds every call intact", async () => {
    const since = output.length;
    const nodes = await Promise.all(["portal-1", "portal-2", "portal-1", "portal-2"].map(clientOf));
    const requests = nodes.flatMap((client, index) =>
      [0, 1].map((round) => {
        const { csr } = opensslCsr(work, `person-${index}-${round}`, ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
        return { client, request: { csr: csr.toString(), profile: "individual-auth" as const, subject: SUBJECT, storage: "file" as const } };
      }),
    );
    const issued = await Promise.all(requests.map(({ client, request }) => client.issueCertificate(request)));
    assert.equal(new Set(issued.map(({ serial }) => serial)).size, requests.length);
    for (const { serial, certificate } of issued) {
      writeFileSync(path(`${serial}.pem`), toPem("CERTIFICATE", certificate));
      const verified = run("openssl", ["verify", "-CAfile", path("chain.pem"), path(`${serial}.pem`)]);
      assert.equal(verified.status, 0, verified.output);
    }
    await Promise.all(issued.map(({ serial }, index) => requests[index]!.client.revoke(serial, "superseded")));
    await eventually("both workers' logs show the calls", () => caApiPids(since).size === 2);
    const audited: string[] = [];
    for await (const entry of ca.store.auditEntries())
      if (entry.action === "api-call") {
        const { call, serial } = JSON.parse(entry.details) as { call: string; serial: string };
        audited.push(`${call} ${serial}`);
      }
    const expected = issued.flatMap(({ serial }) => [`issueCertificate ${serial}`, `revoke ${serial}`]);
    assert.deepEqual(audited.sort(), expected.sort());
    for (const { serial } of issued) assert.equal((await ca.store.certificate(serial))?.revocationReason, "superseded");
    const intact = run(process.execPath, [BIN, "ca", "audit", "verify", "--dir", dir]);
    assert.equal(intact.status, 0, intact.output);
  });

  test("a portal node taken off the list is refused by both workers at once; another node is not", async () => {
    const kept = await clientOf("portal-1");
    assert.equal(await kept.certificate("01"), undefined, "the kept-alive connection works");
    const removed = run(process.execPath, [BIN, "ca", "api-credentials", "--dir", dir, "--remove", "portal-1"], env);
    assert.equal(removed.status, 0, removed.output);
    const since = output.length;
    await assert.rejects(kept.certificate("01"), { code: "node_not_allowed" });
    for (let attempt = 0; attempt < 4; attempt++) assert.equal(statusOnNewConnection("portal-1"), "403");
    await eventually("both workers' logs show the refused requests", () => caApiPids(since).size === 2);
    for (let attempt = 0; attempt < 4; attempt++) assert.equal(statusOnNewConnection("portal-2"), "200");
  });
});
