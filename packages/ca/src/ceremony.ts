import { createHash } from "node:crypto";
import {
  CertificateBuilder,
  createCertificationRequest,
  describeIssuer,
  InputError,
  parseCertificate,
  PROFILES,
  serialHex,
  signTbs,
  verifyCsr,
} from "@qoltanba/pki";
import type { CertificateAuthority } from "./authority.ts";
import { readCaCertificate, readCaConfig } from "./caFolder.ts";
import { writeRootCrl } from "./crl/crlPublisher.ts";
import { randomSerial } from "./issuance.ts";
import { publicationUrls, rootIssuerUrls } from "./publicationUrls.ts";
import { openOfflineRoot, type OfflineRoot } from "./signer/offlineRoot.ts";
import type { CaKeyName } from "./signer/signer.ts";
import { openDatabase } from "./storage/database.ts";
import { CertificateStore } from "./storage/certificateStore.ts";
import type { AuditEvent } from "./audit.ts";

const sha256Hex = (der: Buffer) => createHash("sha256").update(der).digest("hex");

/** A PKCS#10 request for one of the CA's online keys, signed by that key where it lives (the HSM). */
export async function caKeyCertificationRequest(ca: CertificateAuthority, name: Exclude<CaKeyName, "root">): Promise<Buffer> {
  if (!ca.signer) throw new InputError("locked", "the CA's keys are locked: give the HSM PIN or the key password");
  const certificate = parseCertificate(ca.certificates[name]);
  return createCertificationRequest({ subject: certificate.subjectName, publicKeyInfo: certificate.publicKeyInfo, key: ca.signer.key(name) });
}

/** Opens the offline root and checks that it is this CA's root (a ceremony with the wrong media signs nothing). */
async function openRootOf(dir: string, rootDir: string, password: string): Promise<OfflineRoot> {
  const root = await openOfflineRoot(rootDir, password);
  if (!root.certificate.equals(await readCaCertificate(dir, "root"))) {
    throw new InputError("root_mismatch", `the offline root in ${rootDir} is not the root of the CA in ${dir}`);
  }
  return root;
}

async function audit(dir: string, events: AuditEvent[]): Promise<void> {
  const store = new CertificateStore(await openDatabase((await readCaConfig(dir)).database, dir));
  try {
    await store.appendAudit(events);
  } finally {
    await store.close();
  }
}

/** The offline root signs its next CRL into the CA folder (`crl/root.crl`); the number is recorded on the root media first. */
export async function signRootCrl(dir: string, rootDir: string, password: string, now = new Date()): Promise<{ number: number; sha256: string }> {
  const root = await openRootOf(dir, rootDir, password);
  const number = await root.nextCrlNumber();
  const { sha256 } = await writeRootCrl(dir, root.certificate, root.key, number, now);
  await audit(dir, [{ action: "crl", details: { key: "root", kind: "root", number, sha256 } }]);
  return { number, sha256 };
}

/**
 * The offline root certifies the issuing CA's key from a request signed by that key (proof of
 * possession: made on the HSM by `caKeyCertificationRequest`). The subject stays the current issuing
 * CA's name, so certificates it issued still chain; the request's own subject is ignored.
 */
export async function signIssuingCertificate(
  dir: string,
  rootDir: string,
  password: string,
  request: Buffer,
  now = new Date(),
): Promise<Buffer> {
  const csr = verifyCsr(request);
  const config = await readCaConfig(dir);
  const root = await openRootOf(dir, rootDir, password);
  const current = parseCertificate(await readCaCertificate(dir, "issuing"));
  const urls = publicationUrls(config.baseUrl);
  const builder = new CertificateBuilder(describeIssuer(root.certificate, rootIssuerUrls(urls)), {
    policyOids: config.policyOids,
    cpsUrl: urls.cps,
  });
  const serial = randomSerial();
  const tbs = builder.tbsCertificate({
    profile: PROFILES["issuing-ca"],
    subjectName: current.subjectName,
    publicKeyInfo: csr.publicKeyInfo,
    serial,
    notBefore: new Date(Math.floor(now.getTime() / 1000) * 1000),
    storage: "file",
  });
  const certificate = await signTbs(tbs, root.key);
  await audit(dir, [
    { action: "issue", details: { key: "root", profile: "issuing-ca", serial: serialHex(serial), certificateSha256: sha256Hex(certificate) } },
  ]);
  return certificate;
}
