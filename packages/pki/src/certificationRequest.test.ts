import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { localSigningKey } from "./algorithms.ts";
import { createCertificationRequest } from "./certificationRequest.ts";
import { verifyCsr } from "./csr.ts";
import { encodeName } from "./name.ts";
import { OID } from "./oids.ts";
import { toPem } from "./pem.ts";

for (const [name, options] of [
  ["RSA-2048", { type: "rsa", modulusLength: 2048 }],
  ["P-256", { type: "ec", namedCurve: "P-256" }],
] as const) {
  test(`a ${name} certification request verifies with openssl req and verifyCsr`, async () => {
    const { privateKey, publicKey } =
      options.type === "rsa"
        ? generateKeyPairSync("rsa", { modulusLength: options.modulusLength })
        : generateKeyPairSync("ec", { namedCurve: options.namedCurve });
    const publicKeyInfo = publicKey.export({ type: "spki", format: "der" });
    for (const subject of [undefined, encodeName([{ type: OID.commonName, value: "ӘБІЛ Test" }])]) {
      const der = await createCertificationRequest({
        publicKeyInfo,
        key: localSigningKey(privateKey),
        ...(subject ? { subject } : {}),
      });
      const openssl = spawnSync("openssl", ["req", "-verify", "-noout", "-inform", "DER"], {
        input: der,
        encoding: "latin1",
      });
      assert.equal(openssl.status, 0, openssl.stderr);
      assert.match(openssl.stderr + openssl.stdout, /verify OK/i);
      const verified = verifyCsr(toPem("CERTIFICATE REQUEST", der));
      assert.deepEqual(verified.publicKeyInfo, publicKeyInfo);
    }
  });
}
