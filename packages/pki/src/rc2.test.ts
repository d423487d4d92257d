import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rc2CbcDecrypt } from "./rc2.ts";

// RFC 2268 section 5: key, effective key bits, plaintext, ciphertext.
const VECTORS: Array<[string, number, string, string]> = [
  ["0000000000000000", 63, "0000000000000000", "ebb773f993278eff"],
  ["ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"],
  ["3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"],
  ["88", 64, "0000000000000000", "61a8a244adacccf0"],
  ["88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"],
  ["88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"],
  ["88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"],
  [
    "88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e",
    129,
    "0000000000000000",
    "5b78d3a43dfff1f1",
  ],
];

test("RC2 decrypts the RFC 2268 known-answer vectors", () => {
  for (const [key, bits, plain, cipher] of VECTORS) {
    const decrypted = rc2CbcDecrypt(
      Buffer.from(key, "hex"),
      bits,
      Buffer.alloc(8),
      Buffer.from(cipher, "hex"),
    );
    assert.equal(decrypted.toString("hex"), plain, `key ${key}, ${bits} bits`);
  }
});

test("RC2-CBC decrypts what openssl's legacy provider encrypts (40 and 128 bits)", () => {
  for (const [cipher, keyLength] of [
    ["rc2-40-cbc", 5],
    ["rc2-cbc", 16],
  ] as const) {
    const key = randomBytes(keyLength);
    const iv = randomBytes(8);
    const plain = randomBytes(8 * 37);
    const encrypted = execFileSync(
      "openssl",
      [
        "enc",
        `-${cipher}`,
        "-provider",
        "legacy",
        "-provider",
        "default",
        "-nopad",
        "-K",
        key.toString("hex"),
        "-iv",
        iv.toString("hex"),
      ],
      { input: plain },
    );
    assert.deepEqual(rc2CbcDecrypt(key, keyLength * 8, iv, encrypted), plain, cipher);
  }
});

test("RC2-CBC refuses a partial block and a bad IV", () => {
  assert.throws(() => rc2CbcDecrypt(Buffer.alloc(5), 40, Buffer.alloc(8), Buffer.alloc(7)), RangeError);
  assert.throws(() => rc2CbcDecrypt(Buffer.alloc(5), 40, Buffer.alloc(7), Buffer.alloc(8)), RangeError);
});
