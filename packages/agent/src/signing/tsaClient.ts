// Asks an RFC 3161 time-stamping service for a token over a signature value (CAdES-T).
import { createHash, randomBytes } from "node:crypto";
import { createTimeStampRequest, InputError, normalizeSerial, parseTimeStampResponse } from "@qoltanba/pki";

const TIMEOUT_MS = 15_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

export async function requestTimestampToken(
  tsaUrl: string | undefined,
  signatureValue: Buffer,
): Promise<Buffer> {
  if (!tsaUrl)
    throw new InputError(
      "tsa_not_configured",
      "a time-stamp was asked for, but no time-stamping service is configured (--tsa-url)",
    );
  const nonce = normalizeSerial(randomBytes(8));
  const body = createTimeStampRequest({
    hash: "sha256",
    messageImprint: createHash("sha256").update(signatureValue).digest(),
    nonce,
    certReq: true,
  });
  let response: Response;
  try {
    response = await fetch(tsaUrl, {
      method: "POST",
      headers: { "content-type": "application/timestamp-query" },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new InputError(
      "tsa_unreachable",
      `the time-stamping service cannot be reached: ${(error as Error).message}`,
    );
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (!response.ok)
    throw new InputError("tsa_failed", `the time-stamping service answered HTTP ${response.status}`);
  if (bytes.length > MAX_RESPONSE_BYTES)
    throw new InputError("tsa_failed", "the time-stamping service's answer is too large");
  const parsed = parseTimeStampResponse(bytes);
  if (!parsed.token || (parsed.status !== "granted" && parsed.status !== "grantedWithMods")) {
    throw new InputError(
      "tsa_failed",
      `the time-stamping service refused: ${[parsed.status, ...parsed.failures, ...parsed.statusText].join(", ")}`,
    );
  }
  if (!parsed.tstInfo?.nonce || !normalizeSerial(parsed.tstInfo.nonce).equals(nonce)) {
    throw new InputError("tsa_failed", "the time-stamp token does not echo the request's nonce");
  }
  return parsed.token;
}
