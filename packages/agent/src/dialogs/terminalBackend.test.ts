import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { PromptDialogs } from "./promptDialogs.ts";
import { TerminalBackend } from "./terminalBackend.ts";

test("terminal dialogs: origin approval, key choice with the request shown, passwords without echo, new passwords typed twice", async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = "";
  output.on("data", (chunk: Buffer) => (shown += chunk.toString()));
  const echo: boolean[] = [];
  const dialogs = new PromptDialogs(new TerminalBackend(input, output, (on) => echo.push(on)));
  input.write("2\n1\nsecret Pass1\nAbc12345\nAbc12346\nAbc12345\nAbc12345\n\n");

  assert.equal(await dialogs.approveOrigin("https://portal.example.kz"), "always");
  assert.match(shown, /The website https:\/\/portal\.example\.kz wants to use your signing keys/);
  const request = {
    origin: "https://portal.example.kz",
    operation: "sign 1 document — CMS, attached",
    documents: [{ kind: "text" as const, text: "Келісімшарт №1", truncated: false }],
  };
  const key = {
    subject: "ТЕСТОВ ТЕСТ",
    issuer: "CA",
    serialNumber: "01",
    validTo: "2027-01-01T00:00:00.000Z",
    usage: "SIGNATURE",
    location: "/keys/RSA256_x.p12",
  };
  assert.equal(await dialogs.chooseKey({ request, keys: [key] }), 0);
  assert.match(
    shown,
    /The website https:\/\/portal\.example\.kz asks to sign 1 document — CMS, attached\.\n\n— Document 1: Келісімшарт №1/,
  );
  assert.match(
    shown,
    /1\) ТЕСТОВ ТЕСТ — SIGNATURE — issued by CA, serial 01, valid to 2027-01-01 — \/keys\/RSA256_x\.p12/,
  );
  assert.equal(
    await dialogs.askPassword({ request, target: "/keys/RSA256_x.p12", failedAttempts: 0 }),
    "secret Pass1",
  );
  assert.deepEqual(echo, [false, true]);
  assert.ok(!shown.includes("secret Pass1"));
  assert.equal(await dialogs.newPassword({ request, folder: "/keys" }), "Abc12345");
  assert.match(shown, /The two passwords differ/);
  assert.equal(
    await dialogs.askPassword({ request, target: "/keys/RSA256_x.p12", failedAttempts: 2 }),
    undefined,
  );
  assert.match(shown, /Wrong password \(2 failed in a row\)/);
});
