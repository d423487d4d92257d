import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { verifyAuditChain } from "../audit.ts";
import { configPath, DEFAULT_TSA_POLICY } from "../caFolder.ts";
import { openCertificateAuthority } from "../authority.ts";
import { initCertificateAuthority } from "../init.ts";
import { openssl, temporaryDirectory, testDatabases, TEST_PASSWORD } from "../testSupport.ts";
import { startTsaTestServer, type TsaTestServer } from "./tsaTestServer.ts";

const REPLY_TYPE = "application/timestamp-reply";
const NCA_TSA_POLICY = "1.2.398.3.3.2.6.1";

/** A field of `openssl ts ... -text` output. */
function field(text: string, label: string): string {
  const match = new RegExp(`^${label}: (.*)$`, "m").exec(text);
  assert.ok(match, `openssl prints ${label} in\n${text}`);
  return match[1]!.trim();
}

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`TSA over HTTP on ${database.engine}`, () => {
    let tsa: TsaTestServer;
    let dataPath: string;
    let queryNumber = 0;
    const serials = new Set<string>();

    before(async () => {
      tsa = await startTsaTestServer(database);
      dataPath = join(tsa.work, "document.txt");
      writeFileSync(dataPath, "Құжат: the document whose imprint is time-stamped\n");
    });
    after(() => tsa.close());

    /** `openssl ts -query -data document.txt ...`: the query file and its DER. */
    const query = (options: string[]) => {
      const path = join(tsa.work, `query-${++queryNumber}.tsq`);
      openssl(["ts", "-query", "-data", dataPath, "-out", path, ...options]);
      return { path, der: readFileSync(path) };
    };
    const granted = async (options: string[]) => {
      const request = query(options);
      const response = await tsa.post(request.der);
      assert.equal(response.status, 200);
      assert.equal(response.contentType, REPLY_TYPE);
      const verified = tsa.verify(response.body, request.path);
      assert.equal(verified.status, 0, `openssl ts -verify ${options.join(" ")}: ${verified.output}`);
      assert.match(verified.output, /Verification: OK/);
      const text = tsa.replyText(response.body);
      serials.add(field(text, "Serial number"));
      return { request, response: response.body, text };
    };
    const rejected = async (body: Buffer) => {
      const response = await tsa.post(body);
      assert.equal(response.status, 200);
      assert.equal(response.contentType, REPLY_TYPE);
      const text = tsa.replyText(response.body);
      assert.equal(field(text, "Status"), "Rejected.");
      return field(text, "Failure info");
    };
    /** The certificates a token carries, as `openssl pkcs7 -print_certs` lists them. */
    const tokenCertificates = (response: Buffer) => {
      const responsePath = join(tsa.work, `certs-${++queryNumber}.tsr`);
      const tokenPath = `${responsePath}.token`;
      writeFileSync(responsePath, response);
      openssl(["ts", "-reply", "-in", responsePath, "-token_out", "-out", tokenPath]);
      return openssl(["pkcs7", "-inform", "DER", "-in", tokenPath, "-print_certs", "-noout"]).toString();
    };

    test("openssl ts -query → TSA → openssl ts -verify: SHA-256/384/512, nonce or not, certReq or not, the TSA's policy named or not", async () => {
      for (const hash of ["-sha256", "-sha384", "-sha512"]) {
        for (const options of [
          ["-cert"],
          ["-no_nonce"],
          ["-cert", "-no_nonce", "-tspolicy", NCA_TSA_POLICY],
        ]) {
          const started = Date.now();
          const { request, response, text } = await granted([hash, ...options]);
          const queryText = openssl(["ts", "-query", "-in", request.path, "-text"]).toString();
          assert.equal(field(text, "Status"), "Granted.");
          assert.equal(field(text, "Policy OID"), NCA_TSA_POLICY);
          assert.equal(field(text, "Hash Algorithm"), hash.slice(1));
          assert.equal(field(text, "Nonce"), field(queryText, "Nonce"));
          assert.equal(field(text, "Accuracy"), "0x01 seconds, unspecified millis, unspecified micros");
          assert.equal(field(text, "TSA"), "DirName:/CN=TIME-STAMPING AUTHORITY/O=QOLTANBA/C=KZ");
          // genTime to the millisecond, from the clock of this very request.
          const genTime = Date.parse(
            field(text, "Time stamp").replace(/^(\w+ +\d+) ([\d:.]+) (\d+) GMT$/, "$1 $3 $2 UTC"),
          );
          assert.ok(genTime >= started - 1 && genTime <= Date.now(), `genTime ${field(text, "Time stamp")}`);
          const certificates = tokenCertificates(response);
          if (options.includes("-cert")) assert.match(certificates, /subject=CN ?= ?TIME-STAMPING AUTHORITY/);
          else assert.doesNotMatch(certificates, /subject=/);
        }
      }
      assert.equal(serials.size, 9, "every token has its own serial");
    });

    test("the token is signed with ESS signingCertificateV2 naming the TSA certificate", async () => {
      const { response } = await granted(["-sha256", "-cert"]);
      const responsePath = join(tsa.work, "ess.tsr");
      writeFileSync(responsePath, response);
      openssl(["ts", "-reply", "-in", responsePath, "-token_out", "-out", `${responsePath}.token`]);
      const printed = openssl([
        "cms",
        "-cmsout",
        "-print",
        "-inform",
        "DER",
        "-in",
        `${responsePath}.token`,
      ]).toString();
      assert.match(printed, /object: id-smime-aa-signingCertificateV2/);
      assert.match(printed, /eContentType: id-smime-ct-TSTInfo/);
      const essCertId =
        /signingCertificateV2[\s\S]*?OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)[\s\S]*?INTEGER\s+:([0-9A-F]+)/.exec(
          printed,
        );
      assert.ok(essCertId, "openssl prints the ESSCertIDv2");
      const tsaDer = openssl(["x509", "-in", tsa.tsaCertificatePath, "-outform", "DER"]);
      assert.equal(
        essCertId[1]!.toLowerCase(),
        openssl(["dgst", "-sha256", "-binary"], tsaDer).toString("hex"),
      );
      assert.equal(
        `serial=${essCertId[2]}`,
        openssl(["x509", "-in", tsa.tsaCertificatePath, "-noout", "-serial"]).toString().trim(),
      );
    });

    test("SHA-1 and MD5 imprints are badAlg, garbage is badRequest, another policy is unacceptedPolicy; openssl refuses each", async () => {
      for (const hash of ["-sha1", "-md5"]) {
        const request = query([hash, "-cert"]);
        assert.equal(await rejected(request.der), "unrecognized or unsupported algorithm identifier");
        const response = await tsa.post(request.der);
        assert.notEqual(tsa.verify(response.body, request.path).status, 0);
      }
      for (const garbage of [
        Buffer.from("GET / HTTP/1.1\r\n\r\n"),
        Buffer.alloc(0),
        Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01]),
      ]) {
        assert.equal(await rejected(garbage), "transaction not permitted or supported");
      }
      const otherPolicy = query(["-sha256", "-tspolicy", "1.2.398.3.3.2.6.4"]);
      assert.equal(await rejected(otherPolicy.der), "the requested TSA policy is not supported by the TSA");
    });

    test("HTTP: another content type is 415, a body past 10 KiB is 413, GET is 405; the legacy timestamp-request type is served", async () => {
      const request = query(["-sha256"]);
      assert.equal((await tsa.post(request.der, "application/octet-stream")).status, 415);
      assert.equal((await tsa.post(request.der, "application/x-www-form-urlencoded")).status, 415);
      assert.equal((await tsa.post(Buffer.concat([request.der, Buffer.alloc(10 * 1024)]))).status, 413);
      const get = await fetch(tsa.tsaUrl);
      assert.equal(get.status, 405);
      assert.equal(get.headers.get("allow"), "POST");
      const legacy = await tsa.post(request.der, "application/timestamp-request");
      assert.equal(tsa.verify(legacy.body, request.path).status, 0);
    });

    test("every token is recorded before it is sent; the audit summary covers them and shows tampering", async () => {
      const { text } = await granted(["-sha384", "-cert"]);
      const serial = field(text, "Serial number").replace(/^0x/, "").toLowerCase();
      const { db } = tsa.ca.store;
      const row = await db
        .selectFrom("tsa_tokens")
        .selectAll()
        .where("serial", "=", serial)
        .executeTakeFirstOrThrow();
      assert.equal(row.hash_algorithm, "sha384");
      assert.equal(row.policy, NCA_TSA_POLICY);
      assert.equal(row.audit_seq, null);
      const recorded = Number(
        (
          await db
            .selectFrom("tsa_tokens")
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
      assert.ok(recorded >= serials.size);

      await tsa.server.tsa!.summarise();
      const audit = [];
      for await (const entry of tsa.ca.store.auditEntries()) audit.push(entry);
      const summary = audit.filter((entry) => entry.action === "timestamps").at(-1)!;
      assert.equal(JSON.parse(summary.details).count, recorded);
      assert.deepEqual(
        (await verifyAuditChain(tsa.ca.store.auditEntries(), await tsa.ca.store.auditHead())).problems,
        [],
      );
      assert.deepEqual(await tsa.server.tsa!.log.check(), {
        summarised: recorded,
        unsummarised: 0,
        problems: [],
      });

      await db
        .updateTable("tsa_tokens")
        .set({ message_imprint: "00".repeat(48) })
        .where("serial", "=", serial)
        .execute();
      assert.match(
        (await tsa.server.tsa!.log.check()).problems[0]!.problem,
        /changed after they were summarised/,
      );
      await db.deleteFrom("tsa_tokens").where("serial", "=", serial).execute();
      assert.match(
        (await tsa.server.tsa!.log.check()).problems[0]!.problem,
        new RegExp(`summarises ${recorded} time-stamp tokens, the table holds ${recorded - 1}`),
      );
    });
  });
}

test("ca.json sets the TSA policy and accuracy; bad values are refused when the CA is opened", async () => {
  const dir = join(temporaryDirectory("qoltanba-tsa-config-"), "ca");
  await initCertificateAuthority({ dir, password: TEST_PASSWORD });
  const config = JSON.parse(readFileSync(configPath(dir), "utf8"));
  assert.equal(config.tsaPolicy, NCA_TSA_POLICY);
  assert.deepEqual(config.tsaAccuracy, { seconds: 1 });
  for (const [key, value] of [
    ["tsaPolicy", "1.2.x"],
    ["tsaPolicy", 7],
    ["tsaAccuracy", { millis: 1000 }],
    ["tsaAccuracy", { seconds: 1, minutes: 2 }],
    ["tsaAccuracy", 1],
  ] as const) {
    writeFileSync(configPath(dir), JSON.stringify({ ...config, [key]: value }));
    await assert.rejects(
      openCertificateAuthority(dir),
      { code: "bad_ca_config" },
      `${key}: ${JSON.stringify(value)}`,
    );
  }
  writeFileSync(
    configPath(dir),
    JSON.stringify({ ...config, tsaPolicy: "1.3.6.1.4.1.99999.1", tsaAccuracy: { millis: 250 } }),
  );
  const ca = await openCertificateAuthority(dir);
  assert.equal(ca.config.tsaPolicy, "1.3.6.1.4.1.99999.1");
  assert.deepEqual(ca.config.tsaAccuracy, { millis: 250 });
  await ca.close();
});

test("interop: the default TSA policy is the one NCA's real time-stamp response carries", (t) => {
  const folder = resolve(import.meta.dirname, "../../../../../shared/fixtures/nca/tsp");
  if (!existsSync(folder)) {
    t.diagnostic(`NCA fixtures not found at ${folder}: the default policy is not checked against NCA's`);
    return;
  }
  const text = openssl(["ts", "-reply", "-in", join(folder, "tsp_response.bin"), "-text"]).toString();
  assert.equal(field(text, "Policy OID"), DEFAULT_TSA_POLICY);
  assert.equal(DEFAULT_TSA_POLICY, NCA_TSA_POLICY);
});
