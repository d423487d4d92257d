import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readHsmPins, tokenPinEnv } from "./hsmPins.ts";
import { temporaryDirectory } from "./testSupport.ts";

const work = temporaryDirectory("qoltanba-hsm-pins-");
const pinFile = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};
const rejectsWith = (promise: Promise<unknown>, code: string, message: RegExp) =>
  assert.rejects(promise, (error: Error & { code?: string }) => {
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });

describe("the PINs a node is given for the CA's HSM tokens", () => {
  test("a token's variable is QOLTANBA_HSM_PIN_ and its label upper-cased, other characters than letters and digits as _", () => {
    assert.equal(tokenPinEnv("qoltanba-status 1"), "QOLTANBA_HSM_PIN_QOLTANBA_STATUS_1");
  });

  test("one token: --pin-file or QOLTANBA_HSM_PIN as before, or the token's own forms; a file wins over the environment", async () => {
    const tokens = ["ca-token"];
    assert.deepEqual(
      await readHsmPins(tokens, {}, "some", { QOLTANBA_HSM_PIN: "from-env" }),
      new Map([["ca-token", "from-env"]]),
    );
    assert.deepEqual(
      await readHsmPins(tokens, {}, "some", { QOLTANBA_HSM_PIN_CA_TOKEN: "own" }),
      new Map([["ca-token", "own"]]),
    );
    const file = pinFile("one", "from-file\nignored second line\n");
    assert.deepEqual(
      await readHsmPins(tokens, { pinFile: file }, "some", { QOLTANBA_HSM_PIN: "from-env" }),
      new Map([["ca-token", "from-file"]]),
    );
    assert.deepEqual(
      await readHsmPins(tokens, { tokenPinFiles: [`ca-token=${file}`] }, "every", {}),
      new Map([["ca-token", "from-file"]]),
    );
    await rejectsWith(
      readHsmPins(tokens, { pinFile: file, tokenPinFiles: [`ca-token=${file}`] }, "some", {}),
      "hsm_pin_twice",
      /two PIN files for the HSM token "ca-token"/,
    );
    await rejectsWith(
      readHsmPins(tokens, {}, "some", {}),
      "no_pin",
      /the HSM PIN is needed .*--pin-file FILE or QOLTANBA_HSM_PIN/,
    );
  });

  test("two tokens: each its own PIN, only those given; a node with none publishes, a signing command names what is missing", async () => {
    const tokens = ["issuing-token", "status-token"];
    const status = pinFile("status", "status-pin\n");
    assert.deepEqual(
      await readHsmPins(tokens, { tokenPinFiles: [`status-token=${status}`] }, "some", {}),
      new Map([["status-token", "status-pin"]]),
    );
    assert.deepEqual(
      await readHsmPins(tokens, {}, "any", { QOLTANBA_HSM_PIN_ISSUING_TOKEN: "issuing-pin" }),
      new Map([["issuing-token", "issuing-pin"]]),
    );
    assert.deepEqual(await readHsmPins(tokens, {}, "any", {}), new Map());
    await rejectsWith(
      readHsmPins(tokens, {}, "some", {}),
      "no_pin",
      /"issuing-token": --token-pin-file issuing-token=FILE or QOLTANBA_HSM_PIN_ISSUING_TOKEN; "status-token"/,
    );
    await rejectsWith(
      readHsmPins(tokens, { tokenPinFiles: [`status-token=${status}`] }, "every", {}),
      "no_pin",
      /^the HSM PIN is needed \("issuing-token": --token-pin-file issuing-token=FILE or QOLTANBA_HSM_PIN_ISSUING_TOKEN\)$/,
    );
  });

  test("two tokens refuse the one-token forms, a PIN that could be for either, unknown tokens, malformed flags and empty files", async () => {
    const tokens = ["issuing-token", "status-token"];
    const status = pinFile("status-2", "status-pin\n");
    await rejectsWith(
      readHsmPins(tokens, {}, "any", { QOLTANBA_HSM_PIN: "one-pin" }),
      "hsm_pin_ambiguous",
      /on 2 HSM tokens \("issuing-token", "status-token"\).* not QOLTANBA_HSM_PIN$/,
    );
    await rejectsWith(
      readHsmPins(tokens, { pinFile: status }, "any", {}),
      "hsm_pin_ambiguous",
      /not --pin-file$/,
    );
    await rejectsWith(
      readHsmPins(["CA-1", "CA_1"], {}, "any", { QOLTANBA_HSM_PIN_CA_1: "which" }),
      "hsm_pin_ambiguous",
      /could be the PIN of the HSM tokens "CA-1", "CA_1"/,
    );
    await rejectsWith(
      readHsmPins(tokens, { tokenPinFiles: [`other-token=${status}`] }, "any", {}),
      "hsm_unknown_token",
      /names the HSM token "other-token", but the CA's keys are on "issuing-token", "status-token"/,
    );
    for (const malformed of [status, `=${status}`, "status-token="])
      await rejectsWith(
        readHsmPins(tokens, { tokenPinFiles: [malformed] }, "any", {}),
        "bad_token_pin_file",
        /--token-pin-file takes TOKEN=FILE/,
      );
    await rejectsWith(
      readHsmPins(tokens, { tokenPinFiles: [`status-token=${pinFile("empty", "\n")}`] }, "any", {}),
      "no_pin",
      /PIN file .*empty of the HSM token "status-token" is empty/,
    );
    await rejectsWith(
      readHsmPins(tokens, { tokenPinFiles: [`status-token=${join(work, "missing")}`] }, "any", {}),
      "pin_file",
      /cannot read the pin file/,
    );
  });
});
