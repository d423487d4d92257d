// The unattended file's preferredStorage: a store name as the NCALayer protocol spells it, or an
// error that names the field and the names it accepts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InputError } from "@qoltanba/pki";
import { parseUnattendedSettings } from "./unattended.ts";

const parse = (fields: Record<string, unknown>) =>
  parseUnattendedSettings({ origins: ["local"], ...fields }, "/tmp");

test("preferredStorage takes the protocol's name of the file store or of a token store", () => {
  assert.equal(parse({ preferredStorage: "AKJaCartaStore" }).preferredStorage, "AKJaCartaStore");
  assert.equal(parse({ preferredStorage: "PKCS12" }).preferredStorage, "PKCS12");
  assert.equal("preferredStorage" in parse({}), false, "absent: nothing is preferred");
});

test("a preferredStorage that is no storage name is refused, naming the value and the names", () => {
  for (const [value, problem] of [
    [
      "JaCarta",
      /^unattended file: preferredStorage "JaCarta" is not a storage name: use one of PKCS12, AKKaztokenStore, AKKZIDCardStore, AKEToken72KStore, AKEToken5110Store, AKJaCartaStore, AKAKEYStore$/,
    ],
    ["akjacartastore", /^unattended file: preferredStorage "akjacartastore" is not a storage name/],
    // NCALayer's Java key store: the agent has none, so preferring it could never be honoured.
    ["JKS", /^unattended file: preferredStorage "JKS" is not a storage name/],
    [["AKJaCartaStore"], /^unattended file: preferredStorage must be a string$/],
    [7, /^unattended file: preferredStorage must be a string$/],
  ] as const) {
    assert.throws(
      () => parse({ preferredStorage: value }),
      (error: unknown) =>
        error instanceof InputError && error.code === "unattended_file" && problem.test(error.message),
      JSON.stringify(value),
    );
  }
});
