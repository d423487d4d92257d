import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseHsmConfig } from "./hsmConfig.ts";

describe("ca.json's hsm section", () => {
  test("the single-token form written before tokens per role means every key on that token", () => {
    const keyLabels = {
      issuing: "qoltanba-issuing",
      ocsp: "qoltanba-ocsp",
      tsa: "qoltanba-tsa",
      root: "qoltanba-root",
    };
    assert.deepEqual(parseHsmConfig({ module: "/lib/p11.so", slotLabel: "CA", keyLabels }, "ca.json"), {
      module: "/lib/p11.so",
      keys: Object.fromEntries(
        Object.entries(keyLabels).map(([name, label]) => [name, { token: "CA", label }]),
      ),
    });
  });

  test("a key without its token or label is refused, naming the file", () => {
    const keys = {
      issuing: { token: "I", label: "qoltanba-issuing" },
      ocsp: { token: "S", label: "qoltanba-ocsp" },
      tsa: { token: "S" },
    };
    assert.throws(
      () => parseHsmConfig({ module: "/lib/p11.so", keys }, "/srv/ca/ca.json"),
      /^InputError: \/srv\/ca\/ca.json: "hsm" needs module and keys/,
    );
    assert.throws(
      () =>
        parseHsmConfig({ module: "/lib/p11.so", slotLabel: "CA", keyLabels: { issuing: "x" } }, "ca.json"),
      /"hsm" needs/,
    );
  });
});
