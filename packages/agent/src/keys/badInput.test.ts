// Wrong passwords, damaged key files, expired certificates and files the person did not choose:
// each gets the protocol's error reply, and the agent keeps serving other connections.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { verifySignedData } from "@qoltanba/pki";
import { PasswordThrottle } from "./passwordThrottle.ts";
import { connect, startTestAgent } from "../testing/testAgent.ts";
import { type IssuedKey, SIGN_EXTENSIONS, TestPki } from "../testing/testPki.ts";
import { ScriptedDialogs } from "../testing/scriptedDialogs.ts";

const PASSWORD = "Right123";
const COMMON = "kz.gov.pki.knca.commonUtils";
let pki: TestPki;
let key: IssuedKey;

before(() => {
  pki = new TestPki();
  key = pki.issue("signer", "/CN=SIGNER/serialNumber=IIN880101300014/C=KZ", SIGN_EXTENSIONS, PASSWORD, 10);
});
after(() => pki.dispose());

const sign = (data = "MTEK") => ({
  module: COMMON,
  method: "createCAdESFromBase64",
  args: ["PKCS12", "SIGNATURE", data, true],
});

test("wrong passwords are counted per key file and slowed, across requests, while other connections are served", async (t) => {
  const dialogs = new ScriptedDialogs();
  dialogs.file = key.p12Path;
  const delays: number[] = [];
  const throttle = new PasswordThrottle(async (ms) => {
    delays.push(ms);
    await sleep(ms);
  }, 40);
  const agent = await startTestAgent(undefined, { dialogs, throttle });
  t.after(() => agent.dispose());
  const guesser = await connect(agent);
  const bystander = await connect(agent);

  dialogs.passwords = ["guess1", "guess2", "guess3"];
  assert.deepEqual(await guesser.request(sign()), {
    code: "500",
    message: "wrong password for the key file",
  });
  assert.deepEqual(
    dialogs.passwordQuestions.map((question) => question.failedAttempts),
    [0, 1, 2],
  );
  assert.deepEqual(delays, []);

  dialogs.passwords = ["guess4", "guess5", "guess6"];
  const slowed = guesser.request(sign());
  assert.equal(await bystander.sendRaw("--heartbeat--"), "--heartbeat--");
  assert.deepEqual(await slowed, { code: "500", message: "wrong password for the key file" });
  assert.deepEqual(delays, [40, 80, 160]);
  assert.equal(throttle.failuresOf(key.p12Path), 6);

  dialogs.passwords = [PASSWORD];
  const reply = (await guesser.request(sign())) as { code: string; responseObject: string };
  assert.equal(reply.code, "200");
  assert.equal(verifySignedData(Buffer.from(reply.responseObject, "base64")).signers[0]!.valid, true);
  assert.equal(throttle.failuresOf(key.p12Path), 0);
  assert.deepEqual(delays, [40, 80, 160, 320]);
  // The person closing the password dialog is a cancellation.
  dialogs.passwords = [];
  assert.deepEqual(await guesser.request(sign()), { code: "500", message: "action.canceled" });
  guesser.close();
  bystander.close();
});

test("a wrong-password or damaged key file in the unattended file is an error reply; the agent goes on", async (t) => {
  const damaged = pki.path("damaged.p12");
  const bytes = readFileSync(key.p12Path);
  writeFileSync(
    damaged,
    Buffer.concat([bytes.subarray(0, 200), Buffer.alloc(50, 0xff), bytes.subarray(250)]),
  );
  for (const [file, expected] of [
    [{ path: key.p12Path, password: "Wrong123" }, /wrong password for the key file/],
    [{ path: damaged, password: PASSWORD }, /damaged|not PKCS#12|wrong password/],
    [{ path: pki.path("missing.p12"), password: PASSWORD }, /file\.not_found/],
  ] as const) {
    const agent = await startTestAgent({ origins: ["local"], pkcs12: [file] });
    t.after(() => agent.dispose());
    const client = await connect(agent);
    const reply = (await client.request(sign())) as { code: string; message: string };
    assert.equal(reply.code, "500");
    assert.match(reply.message, expected);
    assert.ok(!JSON.stringify(reply).includes(file.password));
    assert.equal(await client.sendRaw("--heartbeat--"), "--heartbeat--");
    client.close();
  }
});

test("expired and not-yet-valid certificates are refused unless the test setting allows them", async (t) => {
  const day = 24 * 60 * 60 * 1000;
  for (const [offset, allow, expected] of [
    [30 * day, false, "500"],
    [-2 * day, false, "500"],
    [30 * day, true, "200"],
    [0, false, "200"],
  ] as const) {
    const agent = await startTestAgent(
      {
        origins: ["local"],
        pkcs12: [{ path: key.p12Path, password: PASSWORD }],
        allowInvalidCertificateTime: allow,
      },
      { now: () => new Date(Date.now() + offset) },
    );
    t.after(() => agent.dispose());
    const client = await connect(agent);
    const reply = (await client.request(sign())) as { code: string; message?: string };
    assert.equal(reply.code, expected, `offset ${offset / day} days, allowed ${allow}: ${reply.message}`);
    if (expected === "500") assert.match(reply.message!, /no key fits/);
    client.close();
  }
});

test("*FromFile signs only files chosen in the agent's file chooser; detached signatures stream the file", async (t) => {
  const document = pki.path("contract.pdf");
  const content = Buffer.alloc(3 * 1024 * 1024 + 17, 0x25);
  writeFileSync(document, content);
  const agent = await startTestAgent({
    origins: ["local"],
    pkcs12: [{ path: key.p12Path, password: PASSWORD }],
    files: [document],
  });
  t.after(() => agent.dispose());
  const client = await connect(agent);
  const fromFile = (path: string) => ({
    module: COMMON,
    method: "createCAdESFromFile",
    args: ["PKCS12", "SIGNATURE", path, false],
  });
  assert.deepEqual(await client.request(fromFile(key.p12Path)), { code: "500", message: "file.not_found" });
  assert.deepEqual(await client.request(fromFile(document)), { code: "500", message: "file.not_found" });
  assert.deepEqual(await client.request({ module: COMMON, method: "showFileChooser", args: ["ALL", ""] }), {
    code: "500",
    message: "action.canceled",
  });
  assert.deepEqual(await client.request({ module: COMMON, method: "showFileChooser", args: ["pdf", ""] }), {
    code: "200",
    responseObject: document,
  });
  const reply = (await client.request(fromFile(document))) as { code: string; responseObject: string };
  assert.equal(reply.code, "200");
  const cms = Buffer.from(reply.responseObject, "base64");
  pki.verifyCms(cms, { content: { file: document }, options: ["-out", "/dev/null"] });
  const digest = createHash("sha256").update(content).digest();
  assert.equal(verifySignedData(cms, { detachedDigest: digest }).signers[0]!.valid, true);
  // Another connection has chosen nothing: the same path is refused there.
  const other = await connect(agent);
  assert.deepEqual(await other.request(fromFile(document)), { code: "500", message: "file.not_found" });
  other.close();
  client.close();
});
