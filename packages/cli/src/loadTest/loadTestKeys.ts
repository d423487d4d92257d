// Thousands of distinct RSA-2048 keys in seconds, for load tests only. A key pair costs ~100 ms to
// generate here, so 2,000 fresh ones would take minutes; instead every pair of a few dozen
// 1024-bit primes makes one modulus. Such keys share factors with each other — worthless for
// anything but a test that needs many different valid keys.
import { createPrivateKey, generatePrime, type KeyObject } from "node:crypto";

const E = 65537n;
const TOP_TWO_BITS = 3n << 1022n;

function modularInverse(value: bigint, modulus: bigint): bigint {
  let [oldR, r] = [value % modulus, modulus];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  return ((oldS % modulus) + modulus) % modulus;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

const base64url = (value: bigint): string => {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex").toString("base64url");
};

/** Primes whose product is always exactly 2048 bits, each usable with e = 65537. */
async function primes(count: number): Promise<bigint[]> {
  const found: bigint[] = [];
  while (found.length < count) {
    const prime = await new Promise<bigint>((resolve, reject) =>
      generatePrime(1024, { bigint: true }, (error, value) => (error ? reject(error) : resolve(value))),
    );
    if (prime >= TOP_TWO_BITS && gcd(prime - 1n, E) === 1n) found.push(prime);
  }
  return found;
}

/** `count` RSA-2048 private keys with distinct moduli (public exponent 65537). */
export async function loadTestRsaKeys(count: number): Promise<KeyObject[]> {
  let primeCount = 2;
  while ((primeCount * (primeCount - 1)) / 2 < count) primeCount++;
  const pool = await primes(primeCount);
  const keys: KeyObject[] = [];
  for (let i = 0; i < pool.length && keys.length < count; i++) {
    for (let j = i + 1; j < pool.length && keys.length < count; j++) {
      const [p, q] = pool[i]! > pool[j]! ? [pool[i]!, pool[j]!] : [pool[j]!, pool[i]!];
      const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
      const d = modularInverse(E, lambda);
      const jwk = {
        kty: "RSA",
        n: base64url(p * q),
        e: base64url(E),
        d: base64url(d),
        p: base64url(p),
        q: base64url(q),
        dp: base64url(d % (p - 1n)),
        dq: base64url(d % (q - 1n)),
        qi: base64url(modularInverse(q, p)),
      };
      keys.push(createPrivateKey({ key: jwk, format: "jwk" }));
    }
  }
  return keys;
}
