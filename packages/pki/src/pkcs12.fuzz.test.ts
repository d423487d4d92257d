// Seeded mutation testing of openPkcs12: whatever the bytes, the answer is the entries or an
// InputError with a known code, never another exception and never a hang.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, KeyObject, X509Certificate } from "node:crypto";
import { InputError } from "./errors.ts";
import { openPkcs12, writePkcs12 } from "./pkcs12.ts";
import {
  authSafeContent,
  LEGACY_NCA_OPTIONS,
  makeCertificates,
  pfxWithMac,
  toIndefiniteBer,
  toIndefiniteBerPfx,
  UNENCRYPTED_BAGS_OPTIONS,
} from "./pkcs12-test-files.ts";
import type { OpensslCa } from "./test-support/openssl-ca.ts";
import { seededRandom } from "./test-support/fuzz.ts";

const PASSWORD = "Fuzz-Key-2026";
const EXPECTED_CODES = new Set(["wrong_password", "bad_pkcs12"]);
let folder: OpensslCa;
const files = new Map<string, Buffer>();

before(() => {
  folder = makeCertificates();
  // One iteration everywhere, so that thousands of files open in seconds.
  const legacy = folder.exportPkcs12("rsa.key", "rsa.pem", PASSWORD, [
    ...LEGACY_NCA_OPTIONS,
    "-iter",
    "1",
    "-certfile",
    "ca.pem",
  ]);
  files.set("legacy", legacy);
  files.set("legacy BER", toIndefiniteBerPfx(legacy, PASSWORD, 1));
  files.set(
    "legacy without MAC",
    folder.exportPkcs12("ec.key", "ec.pem", PASSWORD, ["-iter", "1", ...LEGACY_NCA_OPTIONS, "-nomac"]),
  );
  files.set("modern", folder.exportPkcs12("ec.key", "ec.pem", PASSWORD, ["-iter", "1"]));
  files.set(
    "unencrypted bags",
    folder.exportPkcs12("ec.key", "ec.pem", PASSWORD, ["-iter", "1", ...UNENCRYPTED_BAGS_OPTIONS]),
  );
  const certificate = (name: string) => new X509Certificate(folder.read(name)).raw;
  files.set(
    "written",
    writePkcs12(
      {
        privateKey: createPrivateKey(folder.read("ec.key")),
        certificate: certificate("ec.pem"),
        chain: [certificate("ca.pem")],
      },
      PASSWORD,
      { iterations: 1 },
    ),
  );
});
after(() => folder.dispose());

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x84, 0xff, 0x04, 0x24, 0x30, 0xa0];

function mutate(data: Buffer, random: () => number): Buffer {
  const position = () => Math.floor(random() * data.length);
  const out = Buffer.from(data);
  switch (Math.floor(random() * 6)) {
    case 0:
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--)
        out[position()]! ^= 1 << Math.floor(random() * 8);
      return out;
    case 1:
      out[position()] = INTERESTING_BYTES[Math.floor(random() * INTERESTING_BYTES.length)]!;
      return out;
    case 2:
      return out.subarray(0, position());
    case 3: {
      const start = position();
      return Buffer.concat([out.subarray(0, start), out.subarray(start + 1 + Math.floor(random() * 16))]);
    }
    case 4: {
      const start = position();
      const inserted = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 256)),
      );
      return Buffer.concat([out.subarray(0, start), inserted, out.subarray(start)]);
    }
    default: {
      const start = position();
      return Buffer.concat([
        out.subarray(0, start),
        out.subarray(start, start + 1 + Math.floor(random() * 64)),
        out.subarray(start),
      ]);
    }
  }
}

function assertOpensOrInputError(file: Buffer, what: string): void {
  try {
    const { entries } = openPkcs12(file, PASSWORD);
    for (const entry of entries) assert.ok(entry.privateKey instanceof KeyObject, what);
  } catch (error) {
    if (!(error instanceof InputError) || !EXPECTED_CODES.has(error.code)) {
      assert.fail(
        `${what}: ${error instanceof Error ? `${error.name} ${(error as InputError).code ?? ""}: ${error.message}` : String(error)}`,
      );
    }
    assert.ok(!error.message.includes(PASSWORD), `${what}: the message holds the password`);
  }
}

test("mutated key files open or fail with wrong_password / bad_pkcs12, nothing else", () => {
  for (const [name, file] of files) {
    assert.equal(openPkcs12(file, PASSWORD).entries.length, 1, `${name} opens unmutated`);
    const seed = 1000 + name.length;
    const random = seededRandom(seed);
    for (let round = 0; round < 400; round++)
      assertOpensOrInputError(mutate(file, random), `${name}, seed ${seed}, round ${round}`);
  }
});

test("mutations behind a valid MAC reach the bag and key parsers and still fail cleanly", () => {
  const contents = new Map([
    ["legacy", authSafeContent(files.get("legacy")!)],
    ["legacy BER", toIndefiniteBer(authSafeContent(files.get("legacy")!))],
    ["unencrypted bags", authSafeContent(files.get("unencrypted bags")!)],
    ["written", authSafeContent(files.get("written")!)],
  ]);
  for (const [name, content] of contents) {
    const seed = 2000 + name.length;
    const random = seededRandom(seed);
    for (let round = 0; round < 300; round++) {
      assertOpensOrInputError(
        pfxWithMac(mutate(content, random), PASSWORD, 1),
        `${name} behind a MAC, seed ${seed}, round ${round}`,
      );
    }
  }
});

test("a BER key file cut at every length is bad_pkcs12", () => {
  const file = files.get("legacy BER")!;
  for (let length = 0; length < file.length; length++) {
    assert.throws(
      () => openPkcs12(file.subarray(0, length), PASSWORD),
      (error) => error instanceof InputError && error.code === "bad_pkcs12",
      `cut at ${length}`,
    );
  }
});
