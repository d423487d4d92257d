// CRL and OCSP decisions on material openssl made or reads: full and delta CRLs, holds released,
// revocations after the time asked, out-of-date lists, responders that may not answer.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { localSigningKey } from "../algorithms.ts";
import { parseCertificate, subjectKeyIdentifierOf } from "../certificateInfo.ts";
import { buildCrl, parseCrl, type RevokedEntry } from "../crl.ts";
import { buildBasicOcspResponse, buildSingleResponse, certIdFor, issuerHashes, parseOcspResponse, responderKeyHash } from "../ocsp.ts";
import { toPem } from "../pem.ts";
import { type IssuedCertificate, OpensslCa } from "../test-support/openssl-ca.ts";
import { type CertificateFacts, certificateFacts } from "./certificate-facts.ts";
import { crlStatus } from "./crl-status.ts";
import { ocspStatus } from "./ocsp-status.ts";
import { checkRevocation } from "./revocation-checking.ts";
import { Findings } from "./verdict.ts";

let ca: OpensslCa;
let issuer: CertificateFacts;
let leaf: IssuedCertificate;
let held: IssuedCertificate;
const hour = 3600_000;
const now = new Date(Math.floor(Date.now() / 1000) * 1000);

before(() => {
  ca = new OpensslCa();
  issuer = certificateFacts(ca.der);
  leaf = ca.issue("leaf");
  held = ca.issue("held");
});
after(() => ca.dispose());

async function crl(number: bigint, entries: RevokedEntry[], options: { base?: bigint; thisUpdate?: Date; nextUpdate?: Date; key?: OpensslCa; freshest?: string } = {}) {
  const info = parseCertificate(ca.der);
  return buildCrl(
    {
      issuerName: info.subjectName,
      authorityKeyIdentifier: subjectKeyIdentifierOf(info),
      crlNumber: number,
      thisUpdate: options.thisUpdate ?? new Date(now.getTime() - hour),
      nextUpdate: options.nextUpdate ?? new Date(now.getTime() + hour),
      ...(options.base !== undefined ? { baseCrlNumber: options.base } : {}),
      ...(options.freshest ? { freshestCrlUrls: [options.freshest] } : {}),
    },
    localSigningKey((options.key ?? ca).key),
    entries,
  );
}

/** What `openssl verify -crl_check` says about `cert` with these CRLs. */
function opensslSays(cert: IssuedCertificate, crls: Buffer[]): string {
  ca.write("crls.pem", crls.map((der) => toPem("X509 CRL", der)).join(""));
  return ca.tryOpenssl(["verify", "-crl_check", "-use_deltas", "-CAfile", "ca.pem", "-CRLfile", "crls.pem", cert.path]).output;
}

test("a full CRL listing the serial revokes it; openssl agrees", async () => {
  const revokedAt = new Date(now.getTime() - 30 * 60_000);
  const list = await crl(5n, [{ serial: leaf.serial, revokedAt, reason: "keyCompromise" }]);
  const answer = crlStatus(certificateFacts(leaf.der), issuer, [parseCrl(list)], now);
  assert.equal(answer.status, "revoked");
  assert.equal(answer.reason, "keyCompromise");
  assert.equal(answer.revokedAt?.getTime(), revokedAt.getTime());
  assert.match(opensslSays(leaf, [list]), /certificate revoked/);
  assert.equal(crlStatus(certificateFacts(held.der), issuer, [parseCrl(list)], now).status, "good");
});

test("a delta CRL adds revocations and releases holds over its base; openssl agrees", async () => {
  // openssl uses a delta only over a full CRL that names where its deltas are (freshestCRL)
  const base = await crl(7n, [{ serial: held.serial, revokedAt: new Date(now.getTime() - 2 * hour), reason: "certificateHold" }], { freshest: "http://127.0.0.1/delta.crl" });
  const onHold = crlStatus(certificateFacts(held.der), issuer, [parseCrl(base)], now);
  assert.equal(onHold.status, "revoked");
  assert.equal(onHold.reason, "certificateHold");
  const delta = await crl(8n, [{ serial: held.serial, revokedAt: new Date(now.getTime() - 10 * 60_000), reason: "removeFromCRL" }, { serial: leaf.serial, revokedAt: new Date(now.getTime() - 5 * 60_000), reason: "superseded" }], { base: 7n });
  const both = [parseCrl(base), parseCrl(delta)];
  const released = crlStatus(certificateFacts(held.der), issuer, both, now);
  assert.equal(released.status, "good");
  assert.match(released.detail, /^not listed in CRL #7 of .* with delta CRL #8$/);
  assert.equal(crlStatus(certificateFacts(leaf.der), issuer, both, now).reason, "superseded");
  assert.match(opensslSays(leaf, [base, delta]), /certificate revoked/);
  assert.match(opensslSays(held, [base, delta]), /: OK/);
  const olderDelta = await crl(6n, [{ serial: held.serial, revokedAt: now, reason: "removeFromCRL" }], { base: 5n });
  assert.equal(crlStatus(certificateFacts(held.der), issuer, [parseCrl(base), parseCrl(olderDelta)], now).status, "revoked", "a delta older than the full CRL is ignored");
});

test("revocation after the time asked is good then; an invalidity date before it is not", async () => {
  const revokedAt = new Date(now.getTime() - 10 * 60_000);
  const list = parseCrl(await crl(9n, [{ serial: leaf.serial, revokedAt, reason: "keyCompromise", invalidityDate: new Date(now.getTime() - 50 * 60_000) }]));
  const before = crlStatus(certificateFacts(leaf.der), issuer, [list], new Date(now.getTime() - 55 * 60_000));
  assert.equal(before.status, "good");
  assert.match(before.detail, /revoked later, at /);
  assert.equal(crlStatus(certificateFacts(leaf.der), issuer, [list], new Date(now.getTime() - 30 * 60_000)).status, "revoked");
});

test("an out-of-date CRL or one signed by another key answers nothing", async () => {
  const stale = await crl(10n, [], { thisUpdate: new Date(now.getTime() - 3 * hour), nextUpdate: new Date(now.getTime() - hour) });
  const answer = crlStatus(certificateFacts(leaf.der), issuer, [parseCrl(stale)], now);
  assert.equal(answer.status, "unknown");
  assert.match(answer.detail, /CRL #10 is out of date: its next update was due/);
  assert.match(opensslSays(leaf, [stale]), /CRL has expired/);
  const impostor = new OpensslCa();
  try {
    const forged = await crl(11n, [], { key: impostor });
    const refused = crlStatus(certificateFacts(leaf.der), issuer, [parseCrl(forged)], now);
    assert.equal(refused.status, "unknown");
    assert.match(refused.detail, /CRL #11: its signature does not verify with the key of/);
    assert.match(opensslSays(leaf, [forged]), /CRL signature failure/);
  } finally {
    impostor.dispose();
  }
});

test("OCSP: the issuer and its delegated responder may answer; another responder may not", async () => {
  const responder = ca.issue("responder", ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=OCSPSigning", "noCheck=ignored"]);
  const stranger = ca.issue("stranger", ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature"]);
  const single = buildSingleResponse(certIdFor(issuerHashes(ca.der, "sha1"), leaf.serial), { kind: "revoked", revokedAt: new Date(now.getTime() - hour), reason: "affiliationChanged" }, now, new Date(now.getTime() + hour));
  const nonce = Buffer.from("nonce of this request");
  const answer = async (signer: IssuedCertificate | OpensslCa, certificates: Buffer[], withNonce = nonce) =>
    parseOcspResponse(
      await buildBasicOcspResponse(
        { responderKeyHash: responderKeyHash(signer.der), producedAt: new Date(), singleResponses: [single], nonce: withNonce, certificates },
        localSigningKey(signer.key),
      ),
    );
  const cert = certificateFacts(leaf.der);
  const byCa = ocspStatus(cert, issuer, await answer(ca, []), now, nonce);
  assert.equal(byCa.status, "revoked");
  assert.equal(byCa.reason, "affiliationChanged");
  assert.equal(ocspStatus(cert, issuer, await answer(responder, [responder.der]), now, nonce).status, "revoked");
  const byStranger = ocspStatus(cert, issuer, await answer(stranger, [stranger.der]), now, nonce);
  assert.equal(byStranger.status, "unknown");
  assert.equal(byStranger.detail, `the responder ${certificateFacts(stranger.der).subject} is not authorized for OCSP signing (extendedKeyUsage)`);
  assert.match(ocspStatus(cert, issuer, await answer(responder, []), now, nonce).detail, /neither .* nor a responder certificate included/);
  assert.equal(ocspStatus(cert, issuer, await answer(ca, [], Buffer.from("another nonce")), now, nonce).detail, "the response's nonce is not the request's");
  assert.equal(ocspStatus(cert, issuer, await answer(ca, []), new Date(now.getTime() + 2 * hour), nonce).status, "unknown", "past its nextUpdate");
  assert.equal(ocspStatus(certificateFacts(held.der), issuer, await answer(ca, []), now, nonce).detail, "the response says nothing about this certificate");
});

test("checkRevocation: auto falls back to CRLs, both needs both, CA certificates above are checked by CRL", async () => {
  const list = await crl(12n, [{ serial: leaf.serial, revokedAt: new Date(now.getTime() - hour), reason: "cessationOfOperation" }]);
  const path = [certificateFacts(leaf.der), issuer];
  const offline = { crls: [list] };
  const findings = new Findings();
  const auto = await checkRevocation(path, "auto", offline, now, findings);
  assert.equal(auto?.status, "revoked");
  assert.equal(auto?.method, "crl");
  assert.deepEqual(auto?.checks.map((check) => [check.method, check.status]), [["ocsp", "unknown"], ["crl", "revoked"]]);
  const ocspOnly = await checkRevocation(path, "ocsp", offline, now, new Findings());
  assert.equal(ocspOnly?.status, "unknown");
  assert.equal(ocspOnly?.checks[0]?.detail, "the certificate names no OCSP responder");
  assert.equal((await checkRevocation(path, "both", offline, now, new Findings()))?.status, "revoked");
  assert.equal(await checkRevocation(path, "none", offline, now, new Findings()), undefined);
  assert.equal(await checkRevocation([issuer], "auto", offline, now, new Findings()), undefined, "a trust anchor is not checked");
});
