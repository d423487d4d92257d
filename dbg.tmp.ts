import { readFileSync, readdirSync } from "node:fs";
import { parseOcspResponse, issuerHashes, certIdMatches, fromPemOrDer } from "@qoltanba/pki";
const root = "/work/shared/fixtures/nca";
const certs: [string, Buffer][] = [];
for (const d of ["test-ca-2022", "gost2015-test-2026", "rsa-2018", "gost-2004-2018"]) for (const f of readdirSync(`${root}/${d}`)) if (/\.(cer|crt)$/.test(f)) certs.push([`${d}/${f}`, fromPemOrDer(readFileSync(`${root}/${d}/${f}`), ["CERTIFICATE"], f)]);
for (const f of readdirSync(`${root}/ocsp`)) {
  const r = parseOcspResponse(readFileSync(`${root}/ocsp/${f}`));
  if (r.status !== "successful") continue;
  const id = r.responses[0]!.certId;
  console.log(f, r.signatureAlgorithm, r.nonce?.toString("hex"), r.responses[0]!.status, certs.filter(([, c]) => certIdMatches(id, issuerHashes(c, id.hashAlgorithm))).map(([n]) => n));
}
