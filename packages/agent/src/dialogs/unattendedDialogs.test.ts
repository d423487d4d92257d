// Unattended mode when two stores could answer: the person's AUTH key in a key file and another on a
// JaCarta token (SoftHSM2 standing in). A request that names no storage goes to the unattended
// file's preferredStorage; without one, or when that store is not present, it is cancelled as
// before, never answered from another store. Signatures are checked with openssl.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createSoftHsmToken, TEST_PIN } from "../../../pki/src/test-support/softhsm.ts";
import { connect, startTestAgent, type TestAgent } from "../testing/testAgent.ts";
import { AUTH_EXTENSIONS, type IssuedKey, SIGN_EXTENSIONS, TestPki } from "../testing/testPki.ts";
import { softHsmForEveryStore } from "../testing/testTokens.ts";

const PORTAL = "https://portal.example.kz";
const OWNER = "/CN=ТЕСТОВ ТЕСТ/serialNumber=IIN880101300014/C=KZ";
const PASSWORD = "Test12345";
const DATA = Buffer.from("a log-in challenge");

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are walked by the assertions
type Reply = Record<string, any>;

describe("unattended mode with keys in a file and on a token: preferredStorage", () => {
  let pki: TestPki;
  let fileAuth: IssuedKey;
  let tokenAuth: string;

  /** An agent with both stores and `fields` added to its unattended file. */
  const startAgent = (fields: Record<string, unknown>) =>
    startTestAgent(
      {
        origins: [PORTAL],
        pkcs12: [{ path: fileAuth.p12Path, password: PASSWORD }],
        tokens: { AKJaCartaStore: TEST_PIN },
        ...fields,
      },
      { tokenSettings: softHsmForEveryStore(), tokenRescanMs: 0 },
    );

  const basics = async (agent: TestAgent, method: string, args: unknown): Promise<Reply> => {
    const client = await connect(agent, { origin: PORTAL });
    try {
      return (await client.request({ module: "kz.gov.pki.knca.basics", method, args })) as Reply;
    } finally {
      client.close();
    }
  };

  /** A cabinet's log-in: any storage, a clientAuth key; a raw signature and its certificate. */
  const logIn = (agent: TestAgent, allowedStorages: string[] | null = null) =>
    basics(agent, "sign", {
      allowedStorages,
      format: "raw",
      data: DATA.toString("base64"),
      signingParams: { outputCert: true },
      signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.2"] },
    });

  /** Runs `check` against a fresh agent with `fields`, closing it after. */
  const withAgent = async (fields: Record<string, unknown>, check: (agent: TestAgent) => Promise<void>) => {
    const agent = await startAgent(fields);
    try {
      await check(agent);
    } finally {
      await agent.dispose();
    }
  };

  /** openssl verifies the raw signature with the returned certificate's key; returns that certificate. */
  const verifiedSigner = (reply: Reply, name: string): string => {
    assert.equal(reply.status, true, reply.details);
    const certificate = reply.body.result.certificate as string;
    writeFileSync(pki.path(`${name}.cert.pem`), certificate);
    writeFileSync(pki.path(`${name}.data`), DATA);
    writeFileSync(pki.path(`${name}.sig`), Buffer.from(reply.body.result.signatures as string, "base64"));
    pki.openssl(["x509", "-in", `${name}.cert.pem`, "-pubkey", "-noout", "-out", `${name}.pub.pem`]);
    assert.match(
      pki
        .openssl([
          "dgst",
          "-sha256",
          "-verify",
          `${name}.pub.pem`,
          "-signature",
          `${name}.sig`,
          `${name}.data`,
        ])
        .toString(),
      /Verified OK/,
    );
    return certificate;
  };

  before(async () => {
    pki = new TestPki();
    fileAuth = pki.issue("file-auth", OWNER, AUTH_EXTENSIONS, PASSWORD);
    createSoftHsmToken("JaCarta");
    // The token's keys, made there and certified by the test CA, as the portal's enrolment does.
    await withAgent({}, async (agent) => {
      const applicationId = "APP-PREFERRED";
      const generated = await basics(agent, "generateCsr", { storage: "AKJaCartaStore", applicationId });
      assert.equal(generated.status, true, generated.details);
      const csrs = generated.body.result.csrs as Record<"AUTH" | "SIGN", string>;
      tokenAuth = pki.certify("token-auth", csrs.AUTH, OWNER, AUTH_EXTENSIONS, 0x7100);
      const tokenSign = pki.certify("token-sign", csrs.SIGN, OWNER, SIGN_EXTENSIONS, 0x7101);
      const imported = await basics(agent, "importCertificate", {
        storage: "AKJaCartaStore",
        applicationId,
        certificates: [tokenAuth, tokenSign],
        chain: [pki.caPem],
      });
      assert.equal(imported.status, true, imported.details);
    });
  });
  after(() => pki?.dispose());

  test("preferring the token: a request any store may answer is signed with the token's key", async () => {
    await withAgent({ preferredStorage: "AKJaCartaStore" }, async (agent) => {
      assert.equal(verifiedSigner(await logIn(agent), "token").trim(), tokenAuth.trim());
    });
  });

  test("preferring the key files: the same request is signed with the file's key", async () => {
    await withAgent({ preferredStorage: "PKCS12" }, async (agent) => {
      assert.equal(verifiedSigner(await logIn(agent), "file").trim(), fileAuth.certificatePem.trim());
    });
  });

  test("the preference does not override the page: a request for key files only uses them", async () => {
    await withAgent({ preferredStorage: "AKJaCartaStore" }, async (agent) => {
      const certificate = verifiedSigner(await logIn(agent, ["PKCS12"]), "file-only");
      assert.equal(certificate.trim(), fileAuth.certificatePem.trim());
    });
  });

  test("no preference, or a preferred store that is not plugged in: cancelled, not another store", async () => {
    for (const fields of [{}, { preferredStorage: "AKKaztokenStore" }]) {
      await withAgent(fields, async (agent) => {
        assert.deepEqual(await logIn(agent), { status: true, body: {} }, JSON.stringify(fields));
      });
    }
  });
});
