import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, verify } from "node:crypto";
import { digest, localSigningKey } from "./algorithms.ts";

test("an RSA SigningKey's signDigest equals sign over the same data", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const key = localSigningKey(privateKey);
  const data = Buffer.from("to be signed");
  const overDigest = await key.signDigest(digest("sha256", data));
  assert.deepEqual(overDigest, await key.sign(data));
  assert.ok(verify("sha256", data, publicKey, overDigest));
});

test("signDigest refuses a digest of the wrong length", async () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await assert.rejects(localSigningKey(privateKey).signDigest(Buffer.alloc(20)), /sha256 digest is 32 bytes/);
});
