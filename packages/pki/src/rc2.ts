// RC2 decryption (RFC 2268), for the pbeWithSHA1And40BitRC2-CBC certificate bags of older PKCS#12
// files. OpenSSL 3 keeps RC2 in its legacy provider, which Node does not load.

const PITABLE = Buffer.from(
  "d978f9c419ddb5ed28e9fd794aa0d89d" +
    "c67e37832b76538e624c6488448bfba2" +
    "179a59f587b34f1361456d8d09817d32" +
    "bd8f40eb86b77b0bf09521225c6b4e82" +
    "54d66593ce60b21c7356c014a78cf1dc" +
    "1275ca1f3bbee4d1423dd430a33cb626" +
    "6fbf0eda4669075727f21d9bbc944303" +
    "f811c7f690ef3ee706c3d52fc8661ed7" +
    "08e8eade8052eef784aa72ac354d6a2a" +
    "961ad2715a1549744b9fd05e0418a4ec" +
    "c2e0416e0f51cbcc2491af50a1f47039" +
    "997c3a8523b8b47afc02365b25559731" +
    "2d5dfa98e38a92ae05df2910676cbac9" +
    "d300e6cfe19ea82c6316013f58e289a9" +
    "0d38341bab33ffb0bb480c5fb9b1cd2e" +
    "c5f3db47e5a59c770aa62068fe7fc1ad",
  "hex",
);

/** The 64 16-bit subkeys K[0..63] for `key` with `effectiveBits` of effective key length. */
function rc2ExpandKey(key: Buffer, effectiveBits: number): Uint16Array {
  if (key.length < 1 || key.length > 128) throw new RangeError("an RC2 key is 1 to 128 bytes");
  if (effectiveBits < 1 || effectiveBits > 1024) throw new RangeError("RC2 effective key bits are 1 to 1024");
  const l = new Uint8Array(128);
  l.set(key);
  const t = key.length;
  const t8 = Math.ceil(effectiveBits / 8);
  const tm = 0xff >> (8 * t8 - effectiveBits);
  for (let i = t; i < 128; i++) l[i] = PITABLE[(l[i - 1]! + l[i - t]!) & 0xff]!;
  l[128 - t8] = PITABLE[l[128 - t8]! & tm]!;
  for (let i = 127 - t8; i >= 0; i--) l[i] = PITABLE[l[i + 1]! ^ l[i + t8]!]!;
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = l[2 * i]! | (l[2 * i + 1]! << 8);
  return k;
}

const ROTATIONS = [1, 2, 3, 5] as const;

/** Decrypts one 8-byte block from `input` at `offset` into `output` at the same offset. */
function rc2DecryptBlock(k: Uint16Array, input: Uint8Array, output: Uint8Array, offset: number): void {
  const r = new Uint16Array(4);
  for (let i = 0; i < 4; i++) r[i] = input[offset + 2 * i]! | (input[offset + 2 * i + 1]! << 8);
  let j = 63;
  const mix = () => {
    for (let i = 3; i >= 0; i--) {
      const s = ROTATIONS[i]!;
      const word = r[i]!;
      r[i] = (word >>> s) | (word << (16 - s));
      r[i] = r[i]! - k[j--]! - (r[(i + 3) & 3]! & r[(i + 2) & 3]!) - (~r[(i + 3) & 3]! & r[(i + 1) & 3]!);
    }
  };
  const mash = () => {
    for (let i = 3; i >= 0; i--) r[i] = r[i]! - k[r[(i + 3) & 3]! & 63]!;
  };
  for (let round = 0; round < 5; round++) mix();
  mash();
  for (let round = 0; round < 6; round++) mix();
  mash();
  for (let round = 0; round < 5; round++) mix();
  for (let i = 0; i < 4; i++) {
    output[offset + 2 * i] = r[i]! & 0xff;
    output[offset + 2 * i + 1] = r[i]! >>> 8;
  }
}

/** RC2-CBC decryption without removing the padding. */
export function rc2CbcDecrypt(key: Buffer, effectiveBits: number, iv: Buffer, data: Buffer): Buffer {
  if (iv.length !== 8) throw new RangeError("an RC2 IV is 8 bytes");
  if (data.length % 8 !== 0) throw new RangeError("RC2-CBC data is not a whole number of blocks");
  const k = rc2ExpandKey(key, effectiveBits);
  const plain = Buffer.alloc(data.length);
  for (let offset = 0; offset < data.length; offset += 8) {
    rc2DecryptBlock(k, data, plain, offset);
    const previous = offset === 0 ? iv : data.subarray(offset - 8, offset);
    for (let i = 0; i < 8; i++) plain[offset + i]! ^= previous[i]!;
  }
  return plain;
}
