import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { readAgentCaCertificate } from "@qoltanba/agent";
import { OpensslCa } from "../../../pki/src/test-support/openssl-ca.ts";
import { startUnattendedAgentProcess } from "../../../agent/src/testing/unattendedAgentProcess.ts";
import { BIN } from "../testSupport.ts";

const PASSWORD = "Cli12345";

test("qoltanba agent --unattended serves wss:// with its own TLS; a second one on the same port is refused", async (t) => {
  const signer = new OpensslCa({
    subject: "/CN=CLI SIGNER",
    extensions: ["keyUsage=critical,digitalSignature,nonRepudiation"],
    days: 2,
    prefix: "qoltanba-cli-agent-",
  });
  t.after(() => signer.dispose());
  const work = signer.dir;
  signer.write("signer.p12", signer.exportPkcs12("ca.key", "ca.pem", PASSWORD));
  writeFileSync(
    join(work, "unattended.json"),
    JSON.stringify({ origins: ["local"], pkcs12: [{ path: "signer.p12", password: PASSWORD }] }),
  );
  const home = join(work, "home");

  const agent = await startUnattendedAgentProcess(t, process.execPath, [
    BIN,
    "agent",
    "--home",
    home,
    "--port",
    "0",
    "--unattended",
    join(work, "unattended.json"),
  ]);
  const { url } = agent;
  assert.ok(!agent.stderr().includes(PASSWORD));

  const ca = await readAgentCaCertificate(home);
  assert.ok(ca, "the agent made its TLS material in its home");
  const socket = new WebSocket(url, { ca });
  const next = () =>
    new Promise<string>((resolveMessage) =>
      socket.once("message", (data) => resolveMessage(data.toString())),
    );
  assert.deepEqual(JSON.parse(await next()), { result: { version: "1.4" } });
  const data = Buffer.from("signed through the CLI agent");
  const reply = next();
  socket.send(
    JSON.stringify({
      module: "kz.gov.pki.knca.commonUtils",
      method: "createCAdESFromBase64",
      args: ["PKCS12", "SIGNATURE", data.toString("base64"), true],
    }),
  );
  const signed = JSON.parse(await reply) as { code: string; responseObject: string };
  assert.equal(signed.code, "200");
  assert.deepEqual(
    signer.verifyCms(Buffer.from(signed.responseObject, "base64"), { options: ["-purpose", "any"] }),
    data,
  );
  socket.close();

  const port = new URL(url).port;
  const second = spawnSync(
    process.execPath,
    [BIN, "agent", "--home", home, "--port", port, "--unattended", join(work, "unattended.json")],
    { encoding: "utf8" },
  );
  assert.equal(second.status, 2);
  assert.match(second.stderr, new RegExp(`port ${port} is taken`));

  assert.equal(await agent.stop(), 0);
  assert.match(readFileSync(join(home, "tls", "ca-certificate.pem"), "utf8"), /BEGIN CERTIFICATE/);
});
