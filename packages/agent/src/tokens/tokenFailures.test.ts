// A token's bad days: wrong PINs (the tries left as the token reports them, never retried by the
// agent), a token pulled out in the middle of a signature, and tokens plugged in while the agent runs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { fromPemOrDer, verifySignedData } from "@qoltanba/pki";
import { createSoftHsmToken, pkcs11Tool, TEST_PIN } from "../../../pki/src/test-support/softhsm.ts";
import type { PasswordQuestion } from "../dialogs/dialogs.ts";
import { ScriptedDialogs } from "../testing/scriptedDialogs.ts";
import { connect, type ProtocolClient, startTestAgent, type TestAgent } from "../testing/testAgent.ts";
import { SIGN_EXTENSIONS, TestPki } from "../testing/testPki.ts";
import { softHsmForEveryStore } from "../testing/testTokens.ts";

const PORTAL = "https://portal.example.kz";
const KEY_FILE_PASSWORD = "File1234";

/** Scripted answers, and something that happens while the person types the PIN (the token is pulled out). */
class PinDialogs extends ScriptedDialogs {
  whileAskingPin: (() => void) | undefined;

  override async askPassword(question: PasswordQuestion) {
    const answer = await super.askPassword(question);
    if (question.pin) this.whileAskingPin?.();
    this.whileAskingPin = undefined;
    return answer;
  }
}

const signCms = (client: ProtocolClient, storage: string) =>
  client.basics("sign", {
    allowedStorages: [storage],
    format: "cms",
    data: "MTEK",
    signingParams: { encapsulate: true },
    signerParams: { extKeyUsageOids: [] },
  });

const activeTokens = async (client: ProtocolClient) => {
  const reply = await client.request({ module: "kz.gov.pki.knca.commonUtils", method: "getActiveTokens" });
  return (reply as { responseObject: string[] }).responseObject;
};

describe("a person's token: PIN dialog, wrong PINs, pulled out mid-signature, plugged in later", () => {
  let pki: TestPki;
  let agent: TestAgent;
  let client: ProtocolClient;
  const dialogs = new PinDialogs();
  let kaztoken: { label: string; folder: string };

  before(async () => {
    kaztoken = createSoftHsmToken("KAZTOKEN");
    pki = new TestPki();
    agent = await startTestAgent(undefined, {
      dialogs,
      tokenSettings: softHsmForEveryStore(),
      tokenRescanMs: 0,
    });
    client = await connect(agent, { origin: PORTAL });
    // Enrollment through the dialogs: the PIN is asked for generateCsr and again for importCertificate.
    dialogs.passwords = [TEST_PIN];
    const generated = await client.basics("generateCsr", {
      storage: "AKKaztokenStore",
      applicationId: "APP-PIN",
      keys: ["SIGN"],
    });
    assert.equal(generated.status, true, generated.details);
    const certificate = pki.certify(
      "sign",
      generated.body.result.csrs.SIGN,
      "/CN=PIN TEST/C=KZ",
      SIGN_EXTENSIONS,
      0x9001,
    );
    dialogs.passwords = [TEST_PIN];
    const imported = await client.basics("importCertificate", {
      storage: "AKKaztokenStore",
      applicationId: "APP-PIN",
      certificates: [certificate],
      chain: [pki.caPem],
    });
    assert.equal(imported.status, true, imported.details);
  });
  after(async () => {
    client.close();
    await agent.dispose();
    pki.dispose();
  });

  test("the PIN is asked in the agent's dialog, naming the token; a wrong one shows the tries left and the person tries again", async () => {
    const asked = dialogs.passwordQuestions.length;
    dialogs.passwords = ["000000", TEST_PIN];
    const reply = await signCms(client, "AKKaztokenStore");
    assert.equal(reply.status, true, reply.details);
    assert.equal(verifySignedData(fromPemOrDer(reply.body.result, ["CMS"], "CMS")).signers[0]!.valid, true);
    const [first, second] = dialogs.passwordQuestions.slice(asked);
    assert.equal(first!.pin, true);
    assert.match(first!.target, /^Kaztoken "KAZTOKEN-[0-9a-f]{8}"$/);
    assert.equal(first!.warning, undefined);
    // SoftHSM2 raises CKF_USER_PIN_COUNT_LOW after a wrong PIN: the dialog passes it on.
    assert.match(second!.warning!, /^Wrong PIN: few tries left\./);
  });

  test("three wrong PINs end the request with the tries left; the agent sends no PIN the person did not type", async () => {
    const asked = dialogs.passwordQuestions.length;
    dialogs.passwords = ["111111", "222222", "333333", TEST_PIN];
    const reply = await signCms(client, "AKKaztokenStore");
    assert.deepEqual([reply.status, reply.code, reply.details], [false, "SIGNING_FAILURE", "wrong_pin"]);
    assert.match(reply.message, /^wrong PIN for Kaztoken "KAZTOKEN-[0-9a-f]{8}": few tries left$/);
    assert.equal(dialogs.passwordQuestions.length - asked, 3);
    assert.deepEqual(dialogs.passwords, [TEST_PIN]);
    // The token itself is fine: pkcs11-tool logs in with the right PIN.
    assert.equal(pkcs11Tool(kaztoken.label, ["--list-objects"]).status, 0);
  });

  test("a token pulled out while its PIN is typed: a clear error, the agent keeps serving, a token plugged in later is seen", async () => {
    assert.deepEqual(await activeTokens(client), ["AKKaztokenStore"]);
    dialogs.passwords = [TEST_PIN];
    dialogs.whileAskingPin = () => rmSync(kaztoken.folder, { recursive: true, force: true });
    const reply = await signCms(client, "AKKaztokenStore");
    assert.deepEqual([reply.status, reply.details], [false, "token_removed"]);
    assert.match(
      reply.message,
      /^the token "KAZTOKEN-[0-9a-f]{8}" was removed or stopped answering \(CKR_[A-Z_]+\); plug it in and try again$/,
    );

    assert.deepEqual(await activeTokens(client), []);
    const again = await signCms(client, "AKKaztokenStore");
    assert.deepEqual([again.status, again.details], [false, "storage.empty"]);

    // The same connection signs with a key file.
    const file = pki.issue("file", "/CN=FILE KEY/C=KZ", SIGN_EXTENSIONS, KEY_FILE_PASSWORD);
    dialogs.file = file.p12Path;
    dialogs.passwords = [KEY_FILE_PASSWORD];
    const withFile = await signCms(client, "PKCS12");
    assert.equal(withFile.status, true, withFile.details);

    // Plugged in while the agent runs: seen without a restart.
    createSoftHsmToken("JaCarta");
    createSoftHsmToken("eToken 5110");
    assert.deepEqual((await activeTokens(client)).sort(), ["AKEToken5110Store", "AKJaCartaStore"]);
  });
});

describe("unattended mode: a PIN from the file that the token refuses is not sent again", () => {
  test("the first refusal reports the tries left; later requests fail without sending it", async (t) => {
    const token = createSoftHsmToken("AKey");
    const agent = await startTestAgent(
      { origins: [PORTAL], tokens: { AKAKEYStore: "999999" } },
      { tokenSettings: softHsmForEveryStore(), tokenRescanMs: 0 },
    );
    const client = await connect(agent, { origin: PORTAL });
    t.after(async () => {
      client.close();
      await agent.dispose();
    });
    const generate = () =>
      client.basics("generateCsr", { storage: "AKAKEYStore", applicationId: "APP-UNATTENDED" });
    const first = await generate();
    assert.deepEqual(
      [first.status, first.code, first.details],
      [false, "CSR_GENERATING_FAILURE", "wrong_pin"],
    );
    assert.match(
      first.message,
      /^wrong PIN for AKey "AKey-[0-9a-f]{8}": few tries left; the unattended file's PIN will not be tried again until the agent restarts$/,
    );
    // Nothing was generated, and the right PIN still opens the token.
    const listed = pkcs11Tool(token.label, ["--list-objects"]);
    assert.equal(listed.status, 0, listed.output);
    assert.doesNotMatch(listed.output, /Private Key Object/);
    // Now the file's PIN would be right: a second request still fails, so the agent did not send it again.
    assert.equal(pkcs11Tool(token.label, ["--change-pin", "--new-pin", "999999"]).status, 0);
    const second = await generate();
    assert.equal(second.message, first.message);
  });
});
