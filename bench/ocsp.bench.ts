// The OCSP hot path on one core: parse an openssl-made request, match its CertID to the issuer,
// look up a pre-signed response. Also how fast responses can be pre-signed with RSA and P-256 keys.
// Run: node --import tsx bench/ocsp.bench.ts
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import {
  type HashName,
  buildBasicOcspResponse,
  buildSingleResponse,
  certIdFor,
  certIdMatches,
  issuerHashes,
  localSigningKey,
  ocspErrorResponse,
  parseOcspRequest,
  responderKeyHash,
} from "@qoltanba/pki";
import { OpensslCa } from "../packages/pki/src/test-support/openssl-ca.ts";

const LOOKUPS = 500_000;
const PRESIGNED = 2_000;

const ca = new OpensslCa({ subject: "/C=KZ/CN=Qoltanba OCSP Bench CA" });
try {
  const leaves = ["one", "two", "three", "four"].map((name) => ca.issue(name));
  const requests = leaves.map((leaf, index) => {
    const flags = index % 2 ? ["-sha256"] : ["-no_nonce"];
    ca.openssl(["ocsp", "-issuer", "ca.pem", ...flags, "-cert", leaf.path, "-reqout", `${index}.req`]);
    return readFileSync(ca.path(`${index}.req`));
  });
  const issuers = new Map<HashName, ReturnType<typeof issuerHashes>>(
    (["sha1", "sha256"] as const).map((hash) => [hash, issuerHashes(ca.der, hash)]),
  );

  const now = new Date();
  const nextUpdate = new Date(now.getTime() + 24 * 3600_000);
  for (const [label, signer] of [
    ["RSA-2048 CA key", { key: ca.key, der: ca.der }],
    ["P-256 responder key", leaves[0]!],
  ] as const) {
    const signingKey = localSigningKey(signer.key);
    const started = performance.now();
    const pending: Promise<Buffer>[] = [];
    for (let i = 0; i < PRESIGNED; i++) {
      const serial = Buffer.alloc(16);
      serial.writeUInt32BE(i + 1, 12);
      const single = buildSingleResponse(
        certIdFor(issuers.get("sha1")!, serial),
        { kind: "good" },
        now,
        nextUpdate,
      );
      pending.push(
        buildBasicOcspResponse(
          { responderKeyHash: responderKeyHash(signer.der), producedAt: now, singleResponses: [single] },
          signingKey,
        ),
      );
    }
    await Promise.all(pending);
    const seconds = (performance.now() - started) / 1000;
    console.log(`pre-signing with the ${label}: ${(PRESIGNED / seconds).toFixed(0)} responses/s`);
  }

  const presigned = new Map<string, Buffer>();
  for (const leaf of leaves) {
    const single = buildSingleResponse(
      certIdFor(issuers.get("sha1")!, leaf.serial),
      { kind: "good" },
      now,
      nextUpdate,
    );
    presigned.set(
      leaf.serial.toString("hex"),
      await buildBasicOcspResponse(
        { responderKeyHash: responderKeyHash(ca.der), producedAt: now, singleResponses: [single] },
        localSigningKey(ca.key),
      ),
    );
  }

  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < LOOKUPS; i++) {
    const {
      requests: [first],
    } = parseOcspRequest(requests[i % requests.length]!);
    const issuer = issuers.get(first!.certId.hashAlgorithm);
    const response =
      issuer && certIdMatches(first!.certId, issuer)
        ? presigned.get(first!.certId.serial.toString("hex"))
        : undefined;
    bytes += (response ?? ocspErrorResponse("unauthorized")).length;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `parse + match + pre-signed lookup: ${(LOOKUPS / seconds).toFixed(0)} requests/s on one core ` +
      `(${LOOKUPS} requests, ${(bytes / LOOKUPS).toFixed(0)} response bytes each)`,
  );
} finally {
  ca.dispose();
}
