// Test-only: seeded damage for fuzz tests, so every round repeats exactly.

/** A small seeded PRNG (mulberry32), so fuzz rounds repeat exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A truncated, random, bit-flipped or byte-replaced variant of `sample`. */
export function mutate(sample: Buffer, random: () => number): Buffer {
  const at = (length: number) => Math.floor(random() * length);
  const choice = at(4);
  if (choice === 0) return sample.subarray(0, at(sample.length));
  if (choice === 1) return Buffer.from(Array.from({ length: at(200) }, () => at(256)));
  const copy = Buffer.from(sample);
  for (let flips = 1 + at(4); flips > 0; flips--) {
    const index = at(copy.length);
    copy[index] = choice === 2 ? copy[index]! ^ (1 << at(8)) : at(256);
  }
  return copy;
}
