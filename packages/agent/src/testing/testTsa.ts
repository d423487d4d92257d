// Test-only: an RFC 3161 time-stamping service on 127.0.0.1 whose answers `openssl ts -reply` makes.
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RSA_2048 } from "../../../pki/src/test-support/openssl-ca.ts";
import type { TestPki } from "./testPki.ts";

export interface TestTsa {
  url: string;
  certificatePath: string;
  requests: number;
  close(): Promise<void>;
}

export async function startTestTsa(pki: TestPki): Promise<TestTsa> {
  pki.ca.request("tsa", "/C=KZ/CN=Test TSA", RSA_2048);
  pki.ca.certify("tsa", {
    days: 10,
    serial: "77",
    extensions: [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=critical,timeStamping",
    ],
  });
  writeFileSync(pki.path("tsaserial"), "01\n");
  writeFileSync(
    pki.path("tsa.cnf"),
    [
      "[tsa]",
      "default_tsa=test",
      "[test]",
      `serial=${pki.path("tsaserial")}`,
      "crypto_device=builtin",
      `signer_cert=${pki.path("tsa.pem")}`,
      `signer_key=${pki.path("tsa.key")}`,
      "signer_digest=sha256",
      "default_policy=1.2.3.4.1",
      "digests=sha256, sha384, sha512",
      "accuracy=secs:1",
      "ordering=no",
      "tsa_name=no",
      "ess_cert_id_chain=no",
      "ess_cert_id_alg=sha256",
    ].join("\n") + "\n",
  );
  const state = { requests: 0 };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      state.requests++;
      const query = pki.path(`query-${state.requests}.tsq`);
      const reply = pki.path(`reply-${state.requests}.tsr`);
      writeFileSync(query, Buffer.concat(chunks));
      try {
        execFileSync(
          "openssl",
          ["ts", "-reply", "-config", pki.path("tsa.cnf"), "-queryfile", query, "-out", reply],
          { stdio: "ignore" },
        );
        response.writeHead(200, { "content-type": "application/timestamp-reply" }).end(readFileSync(reply));
      } catch {
        response.writeHead(500).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    certificatePath: join(pki.dir, "tsa.pem"),
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
