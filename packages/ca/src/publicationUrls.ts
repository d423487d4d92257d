import { InputError, type IssuerUrls } from "@qoltanba/pki";

/** Every URL a certificate points at, derived from one base URL (NCA: pki/crl/ocsp/tsp.pki.gov.kz). */
export interface PublicationUrls {
  readonly rootCertificate: string;
  readonly issuingCertificate: string;
  readonly rootCrl: string;
  readonly crl: string;
  readonly deltaCrl: string;
  readonly ocsp: string;
  readonly tsa: string;
  readonly cps: string;
}

export const DEFAULT_BASE_URL = "http://127.0.0.1:8080";

export function checkBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new InputError("bad_base_url", `base URL ${baseUrl} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InputError("bad_base_url", `base URL must be http or https (relying parties fetch CRLs and OCSP over plain HTTP), got ${url.protocol}`);
  }
  if (url.search || url.hash || url.username) throw new InputError("bad_base_url", "base URL must not have a query, fragment or credentials");
  return url.toString().replace(/\/+$/, "");
}

export function publicationUrls(baseUrl: string): PublicationUrls {
  const base = checkBaseUrl(baseUrl);
  return {
    rootCertificate: `${base}/cert/root.cer`,
    issuingCertificate: `${base}/cert/issuing.cer`,
    rootCrl: `${base}/crl/root.crl`,
    crl: `${base}/crl/issuing.crl`,
    deltaCrl: `${base}/crl/issuing-delta.crl`,
    ocsp: `${base}/ocsp`,
    tsa: `${base}/tsp`,
    cps: `${base}/cps`,
  };
}

/**
 * What the root writes into the issuing CA's certificate. No OCSP URL: the responder is delegated by
 * the issuing CA and answers only for its certificates, so the root's are checked by its CRL (as
 * NCA's issuing CA certificates name only caIssuers and the root's CRL).
 */
export function rootIssuerUrls(urls: PublicationUrls): IssuerUrls {
  return { crl: [urls.rootCrl], deltaCrl: [], caIssuers: urls.rootCertificate };
}

/** What the issuing CA writes into end-entity certificates. */
export function issuingIssuerUrls(urls: PublicationUrls): IssuerUrls {
  return { crl: [urls.crl], deltaCrl: [urls.deltaCrl], caIssuers: urls.issuingCertificate, ocsp: urls.ocsp };
}
