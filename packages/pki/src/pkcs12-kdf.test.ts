import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { HashName } from "./algorithms.ts";
import { bmpPassword, pkcs12Kdf, Pkcs12KeyPurpose, type Pkcs12KeyPurpose as Purpose } from "./pkcs12-kdf.ts";

function opensslKdf(
  hash: HashName,
  password: Buffer,
  salt: Buffer,
  iterations: number,
  purpose: Purpose,
  length: number,
): Buffer {
  const out = execFileSync("openssl", [
    "kdf",
    "-keylen",
    String(length),
    "-kdfopt",
    `digest:${hash.toUpperCase()}`,
    "-kdfopt",
    `hexpass:${password.toString("hex")}`,
    "-kdfopt",
    `hexsalt:${salt.toString("hex")}`,
    "-kdfopt",
    `iter:${iterations}`,
    "-kdfopt",
    `id:${purpose}`,
    "-binary",
    "PKCS12KDF",
  ]);
  return out;
}

test("bmpPassword is UTF-16BE with a trailing zero, surrogate pairs included", () => {
  assert.equal(bmpPassword("Qw1").toString("hex"), "005100770031" + "0000");
  assert.equal(bmpPassword("Ә😀").toString("hex"), "04d8" + "d83dde00" + "0000");
});

test("the PKCS#12 KDF gives the classic 'smeg' vectors", () => {
  const salt = Buffer.from("0a58cf64530d823f", "hex");
  const password = bmpPassword("smeg");
  assert.equal(
    pkcs12Kdf("sha1", password, salt, 1, Pkcs12KeyPurpose.key, 24).toString("hex"),
    "8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3",
  );
  assert.equal(
    pkcs12Kdf("sha1", password, salt, 1, Pkcs12KeyPurpose.iv, 8).toString("hex"),
    "79993dfe048d3b76",
  );
});

test("the PKCS#12 KDF agrees with openssl kdf PKCS12KDF for every hash, purpose and odd lengths", () => {
  const cases: Array<[HashName, number, Purpose, number, number]> = [
    ["sha1", 1024, Pkcs12KeyPurpose.key, 24, 20],
    ["sha1", 3, Pkcs12KeyPurpose.iv, 8, 65],
    ["sha256", 2048, Pkcs12KeyPurpose.mac, 32, 8],
    ["sha256", 7, Pkcs12KeyPurpose.key, 100, 0],
    ["sha384", 5, Pkcs12KeyPurpose.mac, 48, 129],
    ["sha512", 2, Pkcs12KeyPurpose.key, 150, 16],
  ];
  for (const [hash, iterations, purpose, length, saltLength] of cases) {
    const password = bmpPassword(randomBytes(23).toString("base64"));
    const salt = randomBytes(saltLength);
    assert.deepEqual(
      pkcs12Kdf(hash, password, salt, iterations, purpose, length),
      opensslKdf(hash, password, salt, iterations, purpose, length),
      `${hash} ${iterations} ${purpose} ${length} ${saltLength}`,
    );
  }
});
