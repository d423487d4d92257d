import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, startServe } from "./testSupport.ts";

const PASSWORD = "cli tsa test password 123";
const POLICY = "1.3.6.1.4.1.99999.3161";

function qoltanba(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, QOLTANBA_KEY_PASSWORD: PASSWORD },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function openssl(args: string[]) {
  const result = spawnSync("openssl", args, { encoding: "utf8" });
  return { status: result.status, output: result.stdout + result.stderr };
}

test("qoltanba serve: openssl ts -query → /tsp → openssl ts -verify, under the policy and accuracy of ca.json", async () => {
  const work = mkdtempSync(join(tmpdir(), "qoltanba-cli-tsa-"));
  const dir = join(work, "ca");
  assert.equal(qoltanba(["ca", "init", "--dir", dir]).status, 0);
  const configFile = join(dir, "ca.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      ...JSON.parse(readFileSync(configFile, "utf8")),
      tsaPolicy: POLICY,
      tsaAccuracy: { seconds: 0, millis: 250 },
    }),
  );
  const chain = join(work, "chain.pem");
  writeFileSync(
    chain,
    qoltanba(["ca", "cert", "--dir", dir, "root"]).stdout +
      qoltanba(["ca", "cert", "--dir", dir, "issuing"]).stdout,
  );
  const data = join(work, "document.txt");
  writeFileSync(data, "signed and time-stamped\n");

  const { server, url: address } = await startServe(["--dir", dir, "--listen", "127.0.0.1:0"], {
    ...process.env,
    QOLTANBA_KEY_PASSWORD: PASSWORD,
  });
  const exited = new Promise<number | null>((resolveExit) => server.on("exit", resolveExit));
  try {
    const queries = [
      ["-sha256", "-cert", "-tspolicy", POLICY],
      ["-sha512", "-no_nonce"],
    ];
    for (const [index, options] of queries.entries()) {
      const query = join(work, `query-${index}.tsq`);
      const reply = join(work, `reply-${index}.tsr`);
      assert.equal(openssl(["ts", "-query", "-data", data, "-out", query, ...options]).status, 0);
      const response = await fetch(`${address}/tsp`, {
        method: "POST",
        body: readFileSync(query),
        headers: { "content-type": "application/timestamp-query" },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/timestamp-reply");
      writeFileSync(reply, Buffer.from(await response.arrayBuffer()));
      const verified = openssl([
        "ts",
        "-verify",
        "-in",
        reply,
        "-queryfile",
        query,
        "-CAfile",
        chain,
        "-untrusted",
        join(dir, "certs", "tsa.pem"),
      ]);
      assert.equal(verified.status, 0, verified.output);
      assert.match(verified.output, /Verification: OK/);
      const text = openssl(["ts", "-reply", "-in", reply, "-text"]).output;
      assert.match(text, new RegExp(`^Policy OID: ${POLICY.replaceAll(".", "\\.")}$`, "m"));
      assert.match(text, /^Accuracy: unspecified seconds, 0xFA millis, unspecified micros$/m);
    }
  } finally {
    server.kill("SIGTERM");
  }
  assert.equal(await exited, 0, "serve stops cleanly on SIGTERM");
  const audit = qoltanba(["ca", "audit", "verify", "--dir", dir]);
  assert.equal(audit.status, 0, audit.stdout + audit.stderr);
  assert.match(audit.stdout, /time-stamp records intact: 2 summarised, 0 awaiting their summary/);
});
