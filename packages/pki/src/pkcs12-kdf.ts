// The PKCS#12 key derivation function (RFC 7292 appendix B), used for the MAC key and by the
// legacy pbeWithSHAAnd... ciphers. Node's crypto does not offer it.
import { createHash } from "node:crypto";
import type { HashName } from "./algorithms.ts";

export const Pkcs12KeyPurpose = { key: 1, iv: 2, mac: 3 } as const;
export type Pkcs12KeyPurpose = (typeof Pkcs12KeyPurpose)[keyof typeof Pkcs12KeyPurpose];

const DIGEST_SIZES: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
const BLOCK_SIZES: Record<HashName, number> = { sha1: 64, sha256: 64, sha384: 128, sha512: 128 };

/** The password as the PKCS#12 KDF takes it: BMPString (UTF-16BE) with a trailing 0x0000. */
export function bmpPassword(password: string): Buffer {
  return Buffer.from(password + "\0", "utf16le").swap16();
}

/** `source` repeated to fill whole `blockSize` blocks (empty stays empty). */
function repeatToBlocks(source: Buffer, blockSize: number): Buffer {
  const out = Buffer.alloc(blockSize * Math.ceil(source.length / blockSize));
  for (let i = 0; i < out.length; i++) out[i] = source[i % source.length]!;
  return out;
}

export function pkcs12Kdf(
  hash: HashName,
  password: Buffer,
  salt: Buffer,
  iterations: number,
  purpose: Pkcs12KeyPurpose,
  length: number,
): Buffer {
  const u = DIGEST_SIZES[hash];
  const v = BLOCK_SIZES[hash];
  const diversifier = Buffer.alloc(v, purpose);
  const input = Buffer.concat([repeatToBlocks(salt, v), repeatToBlocks(password, v)]);
  const result = Buffer.alloc(length);
  for (let produced = 0; ;) {
    let a = createHash(hash).update(diversifier).update(input).digest();
    for (let round = 1; round < iterations; round++) a = createHash(hash).update(a).digest();
    a.copy(result, produced);
    produced += u;
    if (produced >= length) break;
    const b = repeatToBlocks(a, v);
    for (let block = 0; block < input.length; block += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = input[block + k]! + b[k]! + carry;
        input[block + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  input.fill(0);
  return result;
}
