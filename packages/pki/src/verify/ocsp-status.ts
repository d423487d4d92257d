// A certificate's status from an OCSP response: the responder must be the issuer itself or a
// responder the issuer delegated to (RFC 6960 4.2.2.2), and the response must cover the certificate.
import { keyIdentifier } from "../certificate.ts";
import { serialHex } from "../der-parsing.ts";
import { namesMatch } from "../name.ts";
import { type BasicOcspResponse, certIdMatches, issuerHashes, type ParsedOcspResponse, type SingleOcspResponse } from "../ocsp.ts";
import { OID } from "../oids.ts";
import { type CertificateFacts, certificateFacts } from "./certificate-facts.ts";
import type { StatusAnswer } from "./crl-status.ts";
import { checkSignature } from "./signature-check.ts";

export type ResponderCheck =
  | { readonly signer: CertificateFacts }
  | { readonly problem: string }
  | { readonly unsupported: string };

/** Finds who signed the response, checks they may answer for `issuer`'s certificates, and checks the signature. */
export function authenticateOcspResponse(response: BasicOcspResponse, issuer: CertificateFacts): ResponderCheck {
  const { responderId } = response;
  const names = (cert: CertificateFacts) =>
    "byName" in responderId ? namesMatch(responderId.byName, cert.info.subjectName) : responderId.byKey.equals(keyIdentifier(cert.info.publicKeyInfo));
  let signer: CertificateFacts | undefined;
  if (names(issuer)) {
    signer = issuer;
  } else {
    const included = response.certificates.flatMap((der) => {
      try {
        return [certificateFacts(der)];
      } catch {
        return [];
      }
    });
    const delegate = included.find(names);
    if (!delegate) return { problem: `the responder is neither ${issuer.subject} nor a responder certificate included in the response` };
    const refusal = delegationProblem(delegate, issuer, response.producedAt);
    if (refusal) return "unsupported" in refusal ? refusal : { problem: `the responder ${delegate.subject} ${refusal.problem}` };
    signer = delegate;
  }
  const outcome = checkSignature(response.signatureAlgorithm, response.tbsResponseData, response.signature, signer);
  if ("unsupported" in outcome) return outcome;
  if (!outcome.valid) return { problem: `the response's signature does not verify with the key of ${signer.subject}` };
  return { signer };
}

function delegationProblem(delegate: CertificateFacts, issuer: CertificateFacts, producedAt: Date): { problem: string } | { unsupported: string } | undefined {
  if (!namesMatch(delegate.info.issuerName, issuer.info.subjectName)) return { problem: `was not issued by ${issuer.subject}` };
  const outcome = checkSignature(delegate.info.signatureAlgorithmOid, delegate.info.tbs, delegate.info.signature, issuer);
  if ("unsupported" in outcome) return outcome;
  if (!outcome.valid) return { problem: `has a certificate whose signature does not verify with the key of ${issuer.subject}` };
  if (!delegate.extendedKeyUsage?.purposes.includes(OID.ocspSigning)) return { problem: "is not authorized for OCSP signing (extendedKeyUsage)" };
  if (producedAt < delegate.info.notBefore || producedAt > delegate.info.notAfter) {
    return { problem: `had no valid certificate when the response was produced (${producedAt.toISOString()})` };
  }
  for (const oid of delegate.unknownCriticalExtensions) return { problem: `has an unsupported critical extension ${oid}` };
  return undefined;
}

/** The SingleResponse about `cert`, if the response has one. */
export function singleResponseFor(response: BasicOcspResponse, cert: CertificateFacts, issuer: CertificateFacts): SingleOcspResponse | undefined {
  return response.responses.find(
    (single) => serialHex(single.certId.serial) === cert.serial && certIdMatches(single.certId, issuerHashes(issuer.info.der, single.certId.hashAlgorithm)),
  );
}

export function ocspStatus(
  cert: CertificateFacts,
  issuer: CertificateFacts,
  response: ParsedOcspResponse,
  at: Date,
  nonce?: Buffer,
): StatusAnswer {
  if (response.status !== "successful") return { status: "unknown", detail: `the responder answered ${response.status}` };
  const responder = authenticateOcspResponse(response, issuer);
  if ("unsupported" in responder) return { status: "unknown", detail: responder.unsupported, unsupported: true };
  if ("problem" in responder) return { status: "unknown", detail: responder.problem };
  if (nonce && response.nonce && !response.nonce.equals(nonce)) return { status: "unknown", detail: "the response's nonce is not the request's" };
  const single = singleResponseFor(response, cert, issuer);
  if (!single) return { status: "unknown", detail: "the response says nothing about this certificate" };
  if (single.nextUpdate && single.nextUpdate < at) {
    return { status: "unknown", detail: `the response is out of date: its next update was due ${single.nextUpdate.toISOString()}` };
  }
  const answered = `answered by ${responder.signer.subject} for ${single.thisUpdate.toISOString()}`;
  const { status } = single;
  if (status.kind === "good") return { status: "good", detail: answered };
  if (status.kind === "unknown") return { status: "unknown", detail: `the responder does not know this certificate (${answered})` };
  if (status.revokedAt > at) return { status: "good", detail: `revoked later, at ${status.revokedAt.toISOString()} (${answered})` };
  return { status: "revoked", revokedAt: status.revokedAt, ...(status.reason ? { reason: status.reason } : {}), detail: answered };
}
