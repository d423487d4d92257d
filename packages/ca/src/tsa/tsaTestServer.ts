// Test-only: a fresh CA serving its TSA on port 0, and openssl's view of what it answers.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openCertificateAuthority, type CertificateAuthority } from "../authority.ts";
import { certificatePath } from "../caFolder.ts";
import { createCaServer, type CaServer } from "../http/server.ts";
import { initCertificateAuthority } from "../init.ts";
import {
  openssl,
  opensslResult,
  temporaryDirectory,
  TEST_PASSWORD,
  type TestDatabase,
} from "../testSupport.ts";

export const QUERY_TYPE = "application/timestamp-query";

export interface TsaTestServer {
  readonly work: string;
  readonly ca: CertificateAuthority;
  readonly server: CaServer;
  readonly tsaUrl: string;
  /** Root and issuing CA certificates, PEM: what `openssl ts -verify -CAfile` trusts. */
  readonly chainPath: string;
  readonly tsaCertificatePath: string;
  /** POSTs `body` to the TSA. */
  post(
    body: Buffer,
    contentType?: string,
  ): Promise<{ status: number; contentType: string | null; body: Buffer }>;
  /** `openssl ts -reply -text` of a response. */
  replyText(response: Buffer): string;
  /** `openssl ts -verify` of a response against its query file: exit status and output. */
  verify(response: Buffer, queryPath: string): { status: number; output: string };
  close(): Promise<void>;
}

let fileNumber = 0;

export async function startTsaTestServer(database?: TestDatabase): Promise<TsaTestServer> {
  const work = temporaryDirectory("qoltanba-tsa-");
  const dir = join(work, "ca");
  await initCertificateAuthority({
    dir,
    password: TEST_PASSWORD,
    ...(database?.url ? { databaseUrl: database.url } : {}),
  });
  const ca = await openCertificateAuthority(dir, { password: TEST_PASSWORD });
  const server = await createCaServer(ca, { tsa: { summaryIntervalMilliseconds: 3_600_000 } });
  const base = await server.app.listen({ host: "127.0.0.1", port: 0 });
  const chainPath = join(work, "chain.pem");
  writeFileSync(
    chainPath,
    Buffer.concat([
      openssl(["x509", "-in", certificatePath(dir, "root")]),
      openssl(["x509", "-in", certificatePath(dir, "issuing")]),
    ]),
  );
  const responseFile = (response: Buffer) => {
    const path = join(work, `response-${++fileNumber}.tsr`);
    writeFileSync(path, response);
    return path;
  };
  return {
    work,
    ca,
    server,
    tsaUrl: `${base}/tsp`,
    chainPath,
    tsaCertificatePath: certificatePath(dir, "tsa"),
    async post(body, contentType = QUERY_TYPE) {
      const response = await fetch(`${base}/tsp`, {
        method: "POST",
        body,
        headers: { "content-type": contentType },
        signal: AbortSignal.timeout(10_000),
      });
      return {
        status: response.status,
        contentType: response.headers.get("content-type"),
        body: Buffer.from(await response.arrayBuffer()),
      };
    },
    replyText: (response) => openssl(["ts", "-reply", "-in", responseFile(response), "-text"]).toString(),
    verify: (response, queryPath) =>
      opensslResult([
        "ts",
        "-verify",
        "-in",
        responseFile(response),
        "-queryfile",
        queryPath,
        "-CAfile",
        chainPath,
        "-untrusted",
        certificatePath(dir, "tsa"),
      ]),
    async close() {
      await server.close();
      await ca.close();
      await database?.drop();
    },
  };
}
