// A relying party's network: fetching CRLs and issuer certificates and asking OCSP responders,
// each with a time limit and a size limit, so a slow or hostile server cannot hang or flood
// `qoltanba verify`. It lives with the CLI, not in @qoltanba/pki (which does no I/O) nor in
// @qoltanba/ca (a relying party is not the CA, and should not load the CA's database drivers).
import type { RevocationSources } from "@qoltanba/pki";

export interface HttpLimits {
  readonly timeoutMilliseconds: number;
  readonly maxBytes: number;
}

const MiB = 1024 * 1024;
/** NCA's full CRLs run to tens of megabytes; certificates and OCSP answers are small. */
export const CRL_LIMITS: HttpLimits = { timeoutMilliseconds: 30_000, maxBytes: 256 * MiB };
export const SMALL_LIMITS: HttpLimits = { timeoutMilliseconds: 10_000, maxBytes: 1 * MiB };

function checkUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${url} is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`${url}: only http and https URLs are fetched`);
  return parsed;
}

async function request(url: string, init: RequestInit, limits: HttpLimits): Promise<Buffer> {
  const signal = AbortSignal.timeout(limits.timeoutMilliseconds);
  try {
    const response = await fetch(checkUrl(url), { ...init, signal, redirect: "follow" });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status} from ${url}`);
    }
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > limits.maxBytes) {
      await response.body?.cancel();
      throw new Error(`${url} sends ${declared} bytes, more than the ${limits.maxBytes} allowed`);
    }
    return await readLimited(response, url, limits.maxBytes);
  } catch (error) {
    if (signal.aborted) throw new Error(`${url} did not answer within ${limits.timeoutMilliseconds / 1000} s`);
    throw error;
  }
}

async function readLimited(response: Response, url: string, maxBytes: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response.body) {
    length += chunk.length;
    if (length > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new Error(`${url} sends more than the ${maxBytes} bytes allowed`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, length);
}

export const httpGet = (url: string, limits: HttpLimits): Promise<Buffer> => request(url, { method: "GET" }, limits);

/** RFC 6960 appendix A.1: an OCSP request by POST. */
export const ocspPost = (url: string, ocspRequest: Buffer, limits: HttpLimits = SMALL_LIMITS): Promise<Buffer> =>
  request(
    url,
    {
      method: "POST",
      body: ocspRequest,
      headers: { "content-type": "application/ocsp-request", accept: "application/ocsp-response" },
    },
    limits,
  );

/** What the verifiers in @qoltanba/pki may fetch, over HTTP. */
export function httpRevocationSources(options: { crls?: readonly Buffer[]; ocspUrl?: string } = {}): RevocationSources {
  return {
    ...(options.crls ? { crls: options.crls } : {}),
    ...(options.ocspUrl ? { ocspUrl: options.ocspUrl } : {}),
    fetchCrl: (url) => httpGet(url, CRL_LIMITS),
    queryOcsp: (url, ocspRequest) => ocspPost(url, ocspRequest),
    fetchCertificate: (url) => httpGet(url, SMALL_LIMITS),
  };
}
