import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { readAgentCaCertificate } from "@qoltanba/agent";
import { BIN } from "../testSupport.ts";

const PASSWORD = "Cli12345";

function openssl(args: string[], cwd: string) {
  const result = spawnSync("openssl", args, { cwd, encoding: "latin1" });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

test("qoltanba agent --unattended serves wss:// with its own TLS; a second one on the same port is refused", async (t) => {
  const work = mkdtempSync(join(tmpdir(), "qoltanba-cli-agent-"));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "key.pem",
      "-out",
      "cert.pem",
      "-subj",
      "/CN=CLI SIGNER",
      "-days",
      "2",
      "-addext",
      "keyUsage=critical,digitalSignature,nonRepudiation",
    ],
    work,
  );
  writeFileSync(join(work, "pass"), PASSWORD);
  openssl(
    [
      "pkcs12",
      "-export",
      "-inkey",
      "key.pem",
      "-in",
      "cert.pem",
      "-out",
      "signer.p12",
      "-passout",
      "file:pass",
    ],
    work,
  );
  writeFileSync(
    join(work, "unattended.json"),
    JSON.stringify({ origins: ["local"], pkcs12: [{ path: "signer.p12", password: PASSWORD }] }),
  );
  const home = join(work, "home");

  const agent = spawn(
    process.execPath,
    [BIN, "agent", "--home", home, "--port", "0", "--unattended", join(work, "unattended.json")],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  t.after(() => agent.kill("SIGKILL"));
  let stderr = "";
  const url = await new Promise<string>((resolveUrl, reject) => {
    agent.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (wss:\/\/127\.0\.0\.1:\d+\/) \(unattended\)/.exec(stderr);
      if (match) resolveUrl(match[1]!);
    });
    agent.once("exit", () => reject(new Error(stderr)));
  });
  assert.ok(!stderr.includes(PASSWORD));

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
  writeFileSync(join(work, "signed.der"), Buffer.from(signed.responseObject, "base64"));
  assert.equal(
    openssl(
      [
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        "signed.der",
        "-CAfile",
        "cert.pem",
        "-purpose",
        "any",
      ],
      work,
    ),
    data.toString("latin1"),
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

  agent.kill("SIGTERM");
  const [code] = await once(agent, "exit");
  assert.equal(code, 0);
  assert.match(readFileSync(join(home, "tls", "ca-certificate.pem"), "utf8"), /BEGIN CERTIFICATE/);
});
