// Test support for cms and tsp tests: a throw-away CA and its certificates, made by the openssl CLI
// in a temp dir, so the keys and certificates under test come from a tool no one here wrote.
import { execFileSync } from "node:child_process";
import { createPrivateKey, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromPemOrDer } from "./pem.ts";

export interface TestIdentity {
  readonly certPath: string;
  readonly keyPath: string;
  readonly certificate: Buffer;
  readonly privateKey: KeyObject;
}

export type TestKeyType = "rsa" | "ec";

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), "qoltanba-cms-"));
  readonly ca: TestIdentity;
  #serial = 1;

  constructor() {
    const keyPath = this.#newKey("ca", "rsa");
    this.openssl(
      [
        "req",
        "-x509",
        "-new",
        "-key",
        keyPath,
        "-subj",
        "/CN=Qoltanba Test CA",
        "-days",
        "2",
        "-out",
        "ca.pem",
      ],
      ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    );
    this.ca = this.#identity("ca.pem", keyPath);
  }

  /** Issues a certificate under the test CA; `extensions` are openssl x509v3 config lines. */
  issue(name: string, keyType: TestKeyType, extensions: readonly string[]): TestIdentity {
    const keyPath = this.#newKey(name, keyType);
    this.openssl([
      "req",
      "-new",
      "-key",
      keyPath,
      "-subj",
      `/CN=${name}/O=Qoltanba Tests/C=KZ`,
      "-out",
      `${name}.csr`,
    ]);
    writeFileSync(this.path(`${name}.ext`), extensions.join("\n") + "\n");
    this.openssl([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      this.ca.keyPath,
      "-set_serial",
      String(++this.#serial),
      "-days",
      "1",
      "-sha256",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.pem`,
    ]);
    return this.#identity(`${name}.pem`, keyPath);
  }

  /** Runs openssl in the temp dir; throws with its stderr when it fails. */
  openssl(...argLists: string[][]): string {
    try {
      return execFileSync("openssl", argLists.flat(), {
        cwd: this.dir,
        encoding: "latin1",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(`openssl ${argLists.flat().join(" ")} failed:\n${stdout ?? ""}${stderr ?? ""}`);
    }
  }

  path = (name: string): string => join(this.dir, name);
  write = (name: string, data: Buffer | string): string => (
    writeFileSync(this.path(name), data),
    this.path(name)
  );
  read = (name: string): Buffer => readFileSync(this.path(name));
  remove = (): void => rmSync(this.dir, { recursive: true, force: true });

  #newKey(name: string, keyType: TestKeyType): string {
    const options =
      keyType === "rsa"
        ? ["RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        : ["EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
    this.openssl(["genpkey", "-algorithm", ...options, "-out", `${name}.key`]);
    return this.path(`${name}.key`);
  }

  #identity(certName: string, keyPath: string): TestIdentity {
    return {
      certPath: this.path(certName),
      keyPath,
      certificate: fromPemOrDer(this.read(certName), ["CERTIFICATE"], certName),
      privateKey: createPrivateKey(readFileSync(keyPath)),
    };
  }
}

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
