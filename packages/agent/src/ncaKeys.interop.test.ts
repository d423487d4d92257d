// The agent with real key files issued by NCA RK (shared test material, password Qwerty12; the
// 2018 certificates have expired, so the test setting that accepts them is on).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { verifySignedData } from "@qoltanba/pki";
import { opensslVerifyCms } from "../../pki/src/test-support/openssl-ca.ts";
import { connect, startTestAgent } from "./testing/testAgent.ts";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const fixtures = resolve(repoRoot, "../shared/fixtures/nca/rsa-2018");
const AUTH = "AUTH_RSA256_6b361b864c679601b652fe387f61fcd9303c0327.p12";
const SIGN = "RSA256_8426360556902ce4ac33977836f873e1dc190976.p12";

test("NCA's own AUTH and SIGN key files: chosen by key type, usages and IIN; the CMS verifies with openssl up to NCA's root", async (t) => {
  if (!existsSync(fixtures)) {
    t.diagnostic(`NCA fixtures not found at ${fixtures}: interop not checked`);
    return;
  }
  const pkcs12 = [AUTH, SIGN].map((name) => ({ path: join(fixtures, name), password: "Qwerty12" }));
  const work = mkdtempSync(join(tmpdir(), "qoltanba-agent-nca-"));
  const agent = await startTestAgent({ origins: ["local"], pkcs12, allowInvalidCertificateTime: true });
  t.after(async () => {
    await agent.dispose();
    rmSync(work, { recursive: true, force: true });
  });
  const client = await connect(agent);
  const data = Buffer.from("NCA key interop");
  const signAs = async (keyType: string) => {
    const reply = (await client.request({
      module: "kz.gov.pki.knca.commonUtils",
      method: "createCAdESFromBase64",
      args: ["PKCS12", keyType, data.toString("base64"), true],
    })) as { code: string; responseObject: string; message?: string };
    assert.equal(reply.code, "200", reply.message);
    return Buffer.from(reply.responseObject, "base64");
  };
  const opensslVerify = (cms: Buffer) => {
    const chain = join(work, "chain.pem");
    writeFileSync(
      chain,
      ["root_rsa.crt", "nca_rsa.crt"]
        .map((name) => execFileSync("openssl", ["x509", "-inform", "DER", "-in", join(fixtures, name)]))
        .join(""),
    );
    return opensslVerifyCms(cms, chain, {
      options: ["-purpose", "any", "-attime", String(Date.UTC(2019, 0, 1) / 1000)],
    });
  };
  const signer = (cms: Buffer) =>
    execFileSync("openssl", ["x509", "-inform", "DER", "-noout", "-ext", "keyUsage"], {
      input: verifySignedData(cms).signers[0]!.certificate!,
    }).toString();

  const signature = await signAs("SIGNATURE");
  assert.deepEqual(opensslVerify(signature), data);
  assert.match(signer(signature), /Non Repudiation/);
  const authentication = await signAs("AUTHENTICATION");
  assert.deepEqual(opensslVerify(authentication), data);
  assert.match(signer(authentication), /Key Encipherment/);

  const basics = await client.basics("sign", {
    allowedStorages: ["PKCS12"],
    format: "cms",
    data: data.toString("base64"),
    signingParams: { encapsulate: true },
    signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.4", "1.2.398.3.3.4.1.1"], iin: "123456789011" },
  });
  assert.equal(basics.status, true);
  client.close();
});
