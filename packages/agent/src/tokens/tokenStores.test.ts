// The six hardware stores, each on a SoftHSM2 token of its own (SoftHSM's library standing in for
// the vendor's through the per-machine override): detection, enrollment on the token, signing,
// checked from outside with pkcs11-tool and openssl.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fromPemOrDer, verifySignedData } from "@qoltanba/pki";
import { createSoftHsmToken, pkcs11Tool, TEST_PIN } from "../../../pki/src/test-support/softhsm.ts";
import { HARDWARE_STORAGES } from "../protocol/messages.ts";
import { loadNcaLayerClient } from "../testing/ncaLayerJsClient.ts";
import { connect, type ProtocolClient, startTestAgent, type TestAgent } from "../testing/testAgent.ts";
import { AUTH_EXTENSIONS, SIGN_EXTENSIONS, TestPki } from "../testing/testPki.ts";
import { softHsmForEveryStore } from "../testing/testTokens.ts";
import { startTestTsa, type TestTsa } from "../testing/testTsa.ts";
import type { HardwareStorage } from "./tokenProfiles.ts";

const PORTAL = "https://portal.example.kz";
const OWNER = "/CN=ТОКЕН ИЕСІ/serialNumber=IIN880101300014/C=KZ";

/** Labels the default profiles recognise, as the vendors' own tokens would be told apart. */
const TOKEN_LABELS: Record<HardwareStorage, string> = {
  AKKaztokenStore: "KAZTOKEN",
  AKKZIDCardStore: "KZ ID card",
  AKEToken5110Store: "eToken 5110",
  AKEToken72KStore: "eToken PRO 72K",
  AKJaCartaStore: "JaCarta",
  AKAKEYStore: "AKey",
};

describe("token stores on SoftHSM2, one token per profile", () => {
  let pki: TestPki;
  let tsa: TestTsa;
  let agent: TestAgent;
  let client: ProtocolClient;
  const tokens = {} as Record<HardwareStorage, { label: string; folder: string }>;

  before(async () => {
    for (const store of HARDWARE_STORAGES) tokens[store] = createSoftHsmToken(TOKEN_LABELS[store]);
    pki = new TestPki();
    tsa = await startTestTsa(pki);
    agent = await startTestAgent(
      { origins: [PORTAL], tokens: Object.fromEntries(HARDWARE_STORAGES.map((store) => [store, TEST_PIN])) },
      { tokenSettings: softHsmForEveryStore(), tokenRescanMs: 0, tsaUrl: tsa.url },
    );
    client = await connect(agent, { origin: PORTAL });
  });
  after(async () => {
    client.close();
    await agent.dispose();
    await tsa.close();
    pki.dispose();
  });

  test("getActiveTokens lists every store whose token is present", async () => {
    const reply = (await client.request({
      module: "kz.gov.pki.knca.commonUtils",
      method: "getActiveTokens",
    })) as { responseObject: string[] };
    assert.deepEqual([...reply.responseObject].sort(), [...HARDWARE_STORAGES].sort());
  });

  for (const store of HARDWARE_STORAGES) {
    test(`${store}: generateCsr makes both keys on the token, importCertificate puts the certificates beside them, and the keys sign`, async () => {
      const applicationId = `APP-${store}`;
      const generated = await client.basics("generateCsr", { storage: store, applicationId });
      assert.equal(generated.status, true, generated.details);
      const csrs = generated.body.result.csrs as Record<"AUTH" | "SIGN", string>;
      const certificates = (["AUTH", "SIGN"] as const).map((role, index) => {
        const name = `${store}-${role}`;
        writeFileSync(pki.path(`${name}.req.pem`), csrs[role]);
        // OpenSSL checks the CSR's signature, made on the token.
        assert.match(
          pki.tryOpenssl(["req", "-verify", "-noout", "-in", `${name}.req.pem`]).output,
          /verify OK/i,
        );
        const serial = 0x7000 + HARDWARE_STORAGES.indexOf(store) * 2 + index;
        return pki.certify(
          name,
          csrs[role],
          OWNER,
          role === "AUTH" ? AUTH_EXTENSIONS : SIGN_EXTENSIONS,
          serial,
        );
      });

      const stranger = pki.issue(`${store}-stranger`, "/CN=STRANGER", SIGN_EXTENSIONS, "Stranger1");
      const refused = await client.basics("importCertificate", {
        storage: store,
        applicationId,
        certificates: [stranger.certificatePem],
      });
      assert.deepEqual([refused.status, refused.details], [false, "certificate_matches_no_key"]);

      const imported = await client.basics("importCertificate", {
        storage: store,
        applicationId,
        certificates,
        chain: [pki.caPem],
      });
      assert.equal(imported.status, true, imported.details);
      const entries = imported.body.result.imported as Array<{
        role: string;
        keyId: string;
        fileName: string;
      }>;
      assert.deepEqual(
        entries.map((entry) => entry.role),
        ["AUTH", "SIGN"],
      );

      // From outside: two key pairs and their certificates under the same ID and label, the CA beside them.
      const listed = pkcs11Tool(tokens[store].label, ["--list-objects"]);
      assert.equal(listed.status, 0, listed.output);
      const objects = listed.output.split(/\n(?=\S)/).filter((block) => block.trim());
      const ofType = (type: string) => objects.filter((block) => block.startsWith(type));
      assert.equal(ofType("Private Key Object").length, 2);
      assert.equal(ofType("Public Key Object").length, 2);
      assert.equal(ofType("Certificate Object").length, 3);
      for (const entry of entries) {
        const id = new RegExp(`ID:\\s+${entry.keyId}\\b`);
        const label = new RegExp(`label:\\s+${entry.fileName}\\n`);
        assert.equal(entry.fileName, `${entry.role === "AUTH" ? "AUTH_" : ""}RSA256_${entry.keyId}`);
        for (const type of ["Private Key Object", "Public Key Object", "Certificate Object"]) {
          const block = ofType(type).find((candidate) => id.test(candidate));
          assert.ok(block, `${type} with ID ${entry.keyId}`);
          assert.match(block, label);
          if (type === "Private Key Object") {
            assert.match(block, /Access:\s+sensitive, always sensitive, never extractable/);
            assert.match(block, /Usage:.*sign/);
          }
        }
      }

      // Signing with the token key: the SIGN key by its purpose, attached CMS with a time-stamp (CAdES-T).
      const data = Buffer.from(`signed on ${store}`);
      const signed = await client.basics("sign", {
        allowedStorages: [store],
        format: "cms",
        data: data.toString("base64"),
        signingParams: { encapsulate: true, tsaProfile: {} },
        signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.4"] },
      });
      assert.equal(signed.status, true, signed.details);
      const cms = fromPemOrDer(signed.body.result, ["CMS"], "CMS");
      const signer = verifySignedData(cms).signers[0]!;
      assert.equal(signer.valid, true);
      assert.equal(signer.timestampTokens.length, 1);
      assert.deepEqual(signer.certificate, fromPemOrDer(certificates[1]!, ["CERTIFICATE"], "SIGN"));
      assert.deepEqual(pki.verifyCms(cms), data);
    });
  }

  test("XML and raw signatures with a token key verify with xmlsec1 and openssl", async () => {
    const store: HardwareStorage = "AKKaztokenStore";
    const xml = await client.basics("sign", {
      allowedStorages: [store],
      format: "xml",
      data: "<doc><item>token</item></doc>",
      signingParams: {},
      signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.4"] },
    });
    assert.equal(xml.status, true, xml.details);
    const signedXml = xml.body.result[0] as string;
    writeFileSync(pki.path("token-signed.xml"), signedXml);
    const verified = spawnSync(
      "xmlsec1",
      ["--verify", "--trusted-pem", pki.caPath, pki.path("token-signed.xml")],
      {
        encoding: "utf8",
      },
    );
    assert.equal(verified.status, 0, verified.stderr);

    const raw = await client.basics("sign", {
      allowedStorages: [store],
      format: "raw",
      data: Buffer.from("raw data").toString("base64"),
      signingParams: { outputCert: true },
      signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.2"] },
    });
    assert.equal(raw.status, true, raw.details);
    const certificatePem = raw.body.result.certificate as string;
    writeFileSync(pki.path("raw.cert.pem"), certificatePem);
    writeFileSync(pki.path("raw.data"), "raw data");
    writeFileSync(pki.path("raw.sig"), Buffer.from(raw.body.result.signatures as string, "base64"));
    pki.openssl(["x509", "-in", "raw.cert.pem", "-pubkey", "-noout", "-out", "raw.pub.pem"]);
    assert.match(
      pki
        .openssl(["dgst", "-sha256", "-verify", "raw.pub.pem", "-signature", "raw.sig", "raw.data"])
        .toString(),
      /Verified OK/,
    );
  });

  test("ncalayer-js-client finds the tokens and signs with a token key", async () => {
    const NCALayerClient = loadNcaLayerClient(agent.tls.caCertificate, () => PORTAL);
    const nca = new NCALayerClient(agent.server.url, false);
    assert.equal(await nca.connect(), "1.4");
    assert.deepEqual((await nca.getActiveTokens()).sort(), [...HARDWARE_STORAGES].sort());
    const info = await nca.getKeyInfo("AKJaCartaStore").catch((error: Error) => error);
    // Two keys on the token and nobody to choose in unattended mode: NCALayer's cancellation.
    assert.equal((info as Error).message, "500: action.canceled");
    const data = Buffer.from("through ncalayer-js-client, on a JaCarta");
    const signature = Buffer.from(
      await nca.createCAdESFromBase64("AKJaCartaStore", data.toString("base64"), "SIGNATURE", true),
      "base64",
    );
    assert.deepEqual(pki.verifyCms(signature), data);
    nca.wsConnection.close();
  });
});
