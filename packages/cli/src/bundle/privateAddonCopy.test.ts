// The private copy the single executable loads as code: written once, reused while intact, rewritten
// when someone changed it, never in a folder another user controls.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateAddonCopy } from "./privateAddonCopy.ts";

const ADDON = readFileSync(new URL(import.meta.resolve("pkcs11js/build/Release/pkcs11.node")));

test("the addon is written once into a private folder, reused, and rewritten when tampered with", () => {
  const folder = join(mkdtempSync(join(tmpdir(), "qoltanba-addon-")), "cache", "qoltanba");
  const path = privateAddonCopy(ADDON, "pkcs11", folder);
  assert.deepEqual(readdirSync(folder), [path.slice(folder.length + 1)]);
  assert.deepEqual(readFileSync(path), ADDON);
  assert.equal(statSync(folder).mode & 0o777, 0o700);
  assert.equal(statSync(path).mode & 0o777, 0o600);

  const written = statSync(path).ino;
  assert.equal(privateAddonCopy(ADDON, "pkcs11", folder), path);
  assert.equal(statSync(path).ino, written, "an intact copy is not written again");

  writeFileSync(path, "replaced by someone else");
  assert.equal(privateAddonCopy(ADDON, "pkcs11", folder), path);
  assert.deepEqual(readFileSync(path), ADDON);
  assert.deepEqual(readdirSync(folder), [path.slice(folder.length + 1)], "no temporary file left behind");

  chmodSync(folder, 0o777);
  privateAddonCopy(ADDON, "pkcs11", folder);
  assert.equal(statSync(folder).mode & 0o777, 0o700, "a folder others could write is made private again");
});

test("a cache folder that is a link elsewhere is refused with the fix", () => {
  const dir = mkdtempSync(join(tmpdir(), "qoltanba-addon-"));
  mkdirSync(join(dir, "elsewhere"));
  symlinkSync(join(dir, "elsewhere"), join(dir, "qoltanba"));
  assert.throws(
    () => privateAddonCopy(ADDON, "pkcs11", join(dir, "qoltanba")),
    /qoltanba is not a folder of this user's \(a link, or owned by someone else\): remove it, then try again/,
  );
  assert.deepEqual(readdirSync(join(dir, "elsewhere")), []);
});
