// CAdES-BES signatures as NCALayer makes them (attached, detached, over a precomputed digest),
// optionally CAdES-T with a signature time-stamp.
import { addTimestampToken, createSignedData, signatureValueOf } from "@qoltanba/pki";
import type { SelectedKey } from "../keys/selectKey.ts";
import { requestTimestampToken } from "./tsaClient.ts";

export interface CmsJob {
  /** The content, or (detached only) its SHA-256 digest. */
  input: { content: Buffer } | { digest: Buffer };
  encapsulate: boolean;
  timestamp: boolean;
  tsaUrl: string | undefined;
}

export async function signCms(selected: SelectedKey, job: CmsJob): Promise<Buffer> {
  const signedData = await createSignedData({
    ...("content" in job.input ? { content: job.input.content } : { contentDigest: job.input.digest }),
    encapsulate: job.encapsulate,
    signer: { certificate: selected.candidate.facts.der, key: selected.signingKey },
    extraCertificates: selected.candidate.chain,
  });
  return job.timestamp ? addTimestamp(signedData, job.tsaUrl) : signedData;
}

/** CAdES-T from CAdES-BES: a time-stamp over the first signer's signature value. */
export async function addTimestamp(signedData: Buffer, tsaUrl: string | undefined): Promise<Buffer> {
  const token = await requestTimestampToken(tsaUrl, signatureValueOf(signedData));
  return addTimestampToken(signedData, token);
}
