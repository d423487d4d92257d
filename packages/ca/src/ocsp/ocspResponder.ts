import { createHash } from "node:crypto";
import {
  buildBasicOcspResponse,
  buildSingleResponse,
  certIdFor,
  certIdMatches,
  contextConstructed,
  HASH_OIDS,
  InputError,
  issuerHashes,
  ocspErrorResponse,
  parseOcspRequest,
  responderKeyHash,
  sequence,
  serialHex,
  type CertId,
  type CertStatus,
  type HashName,
  type IssuerHashes,
  type OcspRequest,
  type OcspResponseStatus,
  type SigningKey,
} from "@qoltanba/pki";
import type { RevocationState } from "../storage/certificateStore.ts";
import { ResponseCache } from "./responseCache.ts";

/** Where certificate states come from (the CertificateStore). */
export interface CertificateStates {
  revocationStates(serials: readonly string[]): Promise<Map<string, RevocationState>>;
}

export interface OcspResponderParts {
  /** DER certificate of the CA whose certificates this responder answers for. */
  readonly issuerCertificate: Buffer;
  /** DER certificate of the delegated responder, issued by that CA; sent in every response. */
  readonly responderCertificate: Buffer;
  readonly signingKey: SigningKey;
  readonly states: CertificateStates;
}

export interface OcspResponderOptions {
  /** nextUpdate − thisUpdate of every response. */
  readonly validitySeconds?: number;
  /** A pre-signed response is re-signed in the background once it is this old (default: half its validity). */
  readonly refreshAfterSeconds?: number;
  /** How many pre-signed responses to keep; the least recently used go first. */
  readonly cacheEntries?: number;
  /** Signatures a request may wait for at once; past that the answer is tryLater. */
  readonly maxPendingSignatures?: number;
  /** Milliseconds since the epoch (tests move time). */
  readonly clock?: () => number;
}

export const DEFAULT_OCSP_OPTIONS = {
  validitySeconds: 24 * 3600,
  // About 0.9 KB resident each (measured; the responder certificate is shared): 230 MB a process when full.
  cacheEntries: 250_000,
  maxPendingSignatures: 256,
} as const;

/** How long HTTP caches may keep a pre-signed response (RFC 5019 6.2); made only when asked for (GET). */
export interface ResponseCaching {
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Milliseconds: from then on the response is being re-signed, so caches should come back. */
  readonly refreshAt: number;
  readonly etag: string;
  /** thisUpdate and nextUpdate as HTTP dates, made once. */
  readonly lastModified: string;
  readonly expires: string;
}

/** What to send back: a DER OCSPResponse, possibly in pieces, and for a pre-signed one its caching. */
export interface OcspAnswer {
  readonly status: OcspResponseStatus;
  readonly body: readonly Buffer[];
  readonly byteLength: number;
  readonly caching?: ResponseCaching;
}

export interface OcspCounters {
  /** Requests answered from the pre-signed cache. */
  cacheHits: number;
  /** Signatures made: pre-signed responses, refreshes and nonce or multi-certificate responses. */
  signatures: number;
}

const errorAnswer = (status: Exclude<OcspResponseStatus, "successful">): OcspAnswer => {
  const der = ocspErrorResponse(status);
  return { status, body: [der], byteLength: der.length };
};
export const MALFORMED_REQUEST = errorAnswer("malformedRequest");
export const UNAUTHORIZED = errorAnswer("unauthorized");
export const INTERNAL_ERROR = errorAnswer("internalError");
export const TRY_LATER = errorAnswer("tryLater");

const GOOD: CertStatus = { kind: "good" };
const UNKNOWN: CertStatus = { kind: "unknown" };
const HASHES = Object.keys(HASH_OIDS) as HashName[];
/** What clients use (openssl, NSS and GnuTLS: SHA-1; some SHA-256): pre-signed ahead after a revocation. */
const PRESIGNED_AHEAD: readonly HashName[] = ["sha1", "sha256"];
const BACKGROUND_SIGNERS = 4;
const WARNING_INTERVAL_MILLISECONDS = 60_000;

/** What the store says, as OCSP says it: a released hold (removeFromCRL) is good again. */
export function certStatusOf(state: RevocationState | undefined): CertStatus {
  if (!state) return UNKNOWN;
  if (!state.revokedAt || state.reason === "removeFromCRL") return GOOD;
  return { kind: "revoked", revokedAt: state.revokedAt, ...(state.reason ? { reason: state.reason } : {}) };
}

/** A pre-signed response as sent: its bytes, the shared responder certificate, and its HTTP caching made on demand. */
class PresignedAnswer implements OcspAnswer {
  readonly status = "successful";
  readonly body: readonly Buffer[];
  readonly byteLength: number;
  private made: ResponseCaching | undefined;

  constructor(
    head: Buffer,
    tail: Buffer,
    private readonly thisUpdate: number,
    private readonly validity: number,
    private readonly refreshAfter: number,
  ) {
    this.body = [head, tail];
    this.byteLength = head.length + tail.length;
  }

  get caching(): ResponseCaching {
    if (this.made) return this.made;
    const thisUpdate = new Date(this.thisUpdate);
    const nextUpdate = new Date(this.thisUpdate + this.validity);
    this.made = {
      thisUpdate,
      nextUpdate,
      refreshAt: this.thisUpdate + this.refreshAfter,
      // The head identifies the response: the tail is the same in all of them.
      etag: `"${createHash("sha256").update(this.body[0]!).digest("base64url").slice(0, 27)}"`,
      lastModified: thisUpdate.toUTCString(),
      expires: nextUpdate.toUTCString(),
    };
    return this.made;
  }
}

interface PendingSignature {
  readonly promise: Promise<OcspAnswer>;
  /** A revocation changed the serial after this signature's lookup: its answer is not cached. */
  stale: boolean;
}

/**
 * An RFC 6960 responder with the RFC 5019 profile, signing with the delegated OCSP key.
 *
 * A request for one certificate without a nonce (what browsers and RFC 5019 clients send) is
 * answered from a cache of pre-signed responses keyed by CertID hash and serial: signed on the
 * first miss, re-signed in the background at half their validity and right after a revocation,
 * so once warm the hot path only parses and looks up. A nonce or several certificates make the
 * response unique: it is signed on demand.
 */
export class OcspResponder {
  readonly counters: OcspCounters = { cacheHits: 0, signatures: 0 };
  private readonly issuers: ReadonlyMap<HashName, IssuerHashes>;
  private readonly keyHash: Buffer;
  /** `[0] { SEQUENCE { responder certificate } }`: every response ends with it, so the cache keeps it once. */
  private readonly certificatesTail: Buffer;
  private readonly cache: ResponseCache;
  private readonly pending = new Map<string, PendingSignature>();
  private readonly backgroundQueue = new Set<string>();
  private readonly running = new Set<Promise<unknown>>();
  private backgroundSigners = 0;
  private onDemandSignatures = 0;
  private stopped = false;
  private lastWarning = 0;
  private readonly validity: number;
  private readonly refreshAfter: number;
  private readonly maxPendingSignatures: number;
  private readonly clock: () => number;

  constructor(
    private readonly parts: OcspResponderParts,
    options: OcspResponderOptions = {},
  ) {
    this.issuers = new Map(HASHES.map((hash) => [hash, issuerHashes(parts.issuerCertificate, hash)]));
    this.keyHash = responderKeyHash(parts.responderCertificate);
    this.certificatesTail = contextConstructed(0, sequence(parts.responderCertificate));
    const validitySeconds = options.validitySeconds ?? DEFAULT_OCSP_OPTIONS.validitySeconds;
    const refreshAfterSeconds = options.refreshAfterSeconds ?? validitySeconds / 2;
    if (!(validitySeconds >= 60) || !(refreshAfterSeconds > 0 && refreshAfterSeconds < validitySeconds)) {
      throw new InputError("bad_ocsp_options", "OCSP validity must be at least 60 s and the refresh come before it ends");
    }
    this.validity = validitySeconds * 1000;
    this.refreshAfter = refreshAfterSeconds * 1000;
    this.cache = new ResponseCache(options.cacheEntries ?? DEFAULT_OCSP_OPTIONS.cacheEntries);
    this.maxPendingSignatures = options.maxPendingSignatures ?? DEFAULT_OCSP_OPTIONS.maxPendingSignatures;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Answers a DER OCSPRequest: synchronously when the answer is pre-signed or an error. Never
   * throws or rejects: a failing store or key is answered internalError (and warned about).
   */
  respond(requestDer: Buffer): OcspAnswer | Promise<OcspAnswer> {
    let request: OcspRequest;
    try {
      request = parseOcspRequest(requestDer);
    } catch (error) {
      if (error instanceof InputError) return MALFORMED_REQUEST;
      return this.failed(error);
    }
    try {
      const answer = this.answer(request);
      return answer instanceof Promise ? answer.catch((error: unknown) => this.failed(error)) : answer;
    } catch (error) {
      return this.failed(error);
    }
  }

  answer(request: OcspRequest): OcspAnswer | Promise<OcspAnswer> {
    if (this.stopped) return TRY_LATER;
    for (const { certId } of request.requests) {
      const issuer = this.issuers.get(certId.hashAlgorithm);
      if (!issuer || !certIdMatches(certId, issuer)) return UNAUTHORIZED;
    }
    if (request.requests.length === 1 && !request.nonce) return this.presigned(request.requests[0]!.certId);
    if (this.onDemandSignatures >= this.maxPendingSignatures) return TRY_LATER;
    return this.track(this.signOnDemand(request));
  }

  /** Revocation states changed (the watcher saw it in the database): drop and re-sign those responses. */
  revocationsChanged(serials: readonly string[]): void {
    for (const serial of serials) {
      for (const hash of HASHES) {
        const key = `${hash}:${serial}`;
        const cached = this.cache.thisUpdateOf(key) !== undefined;
        this.cache.delete(key);
        const pending = this.pending.get(key);
        if (pending) {
          pending.stale = true;
          this.pending.delete(key);
        }
        if (cached || PRESIGNED_AHEAD.includes(hash)) this.backgroundQueue.add(key);
      }
    }
    this.signInBackground();
  }

  /** Resolves once no signature is under way or queued (a warm-up waits for the background with it). */
  async whenIdle(): Promise<void> {
    while (this.running.size > 0 || this.backgroundSigners > 0) {
      if (this.running.size > 0) await Promise.allSettled([...this.running]);
      else await new Promise((resolve) => setImmediate(resolve)); // a background signer is between jobs
    }
  }

  /** Stops taking work and waits for signatures under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.backgroundQueue.clear();
    await this.whenIdle();
  }

  private presigned(certId: CertId): OcspAnswer | Promise<OcspAnswer> {
    const key = `${certId.hashAlgorithm}:${serialHex(certId.serial)}`;
    const cached = this.cache.get(key);
    if (cached) {
      const now = this.clock();
      if (now < cached.thisUpdate + this.validity) {
        this.counters.cacheHits++;
        if (now >= cached.thisUpdate + this.refreshAfter && !this.pending.has(key)) {
          this.backgroundQueue.add(key);
          this.signInBackground();
        }
        return this.presignedAnswer(cached.head, cached.thisUpdate);
      }
    }
    const pending = this.pending.get(key);
    if (pending) return pending.promise;
    if (this.onDemandSignatures >= this.maxPendingSignatures) return TRY_LATER;
    this.onDemandSignatures++;
    const signing = this.presign(key, certId);
    void signing.then(
      () => this.onDemandSignatures--,
      () => this.onDemandSignatures--,
    );
    return signing;
  }

  /** Looks the serial up, signs, and caches the answer unless a revocation overtook it. */
  private presign(key: string, certId: CertId): Promise<OcspAnswer> {
    const serial = serialHex(certId.serial);
    const job: { promise?: Promise<OcspAnswer>; stale: boolean } = { stale: false };
    const promise = (async () => {
      const states = await this.parts.states.revocationStates([serial]);
      const { thisUpdate, nextUpdate } = this.window();
      const single = buildSingleResponse(certId, certStatusOf(states.get(serial)), thisUpdate, nextUpdate);
      const der = await this.sign([single], thisUpdate);
      const head = this.headOf(der);
      if (!job.stale) this.cache.set(key, head, thisUpdate.getTime());
      return this.presignedAnswer(head, thisUpdate.getTime());
    })().finally(() => {
      if (this.pending.get(key) === job) this.pending.delete(key);
    });
    job.promise = promise;
    this.pending.set(key, job as PendingSignature);
    return this.track(promise);
  }

  private async signOnDemand(request: OcspRequest): Promise<OcspAnswer> {
    this.onDemandSignatures++;
    try {
      const serials = request.requests.map(({ certId }) => serialHex(certId.serial));
      const states = await this.parts.states.revocationStates([...new Set(serials)]);
      const { thisUpdate, nextUpdate } = this.window();
      const singles = request.requests.map(({ certId }, index) =>
        buildSingleResponse(certId, certStatusOf(states.get(serials[index]!)), thisUpdate, nextUpdate),
      );
      const der = await this.sign(singles, thisUpdate, request.nonce);
      return { status: "successful", body: [der], byteLength: der.length };
    } finally {
      this.onDemandSignatures--;
    }
  }

  private sign(singleResponses: Buffer[], producedAt: Date, nonce?: Buffer): Promise<Buffer> {
    this.counters.signatures++;
    return buildBasicOcspResponse(
      {
        responderKeyHash: this.keyHash,
        producedAt,
        singleResponses,
        ...(nonce ? { nonce } : {}),
        certificates: [this.parts.responderCertificate],
      },
      this.parts.signingKey,
    );
  }

  private window(): { thisUpdate: Date; nextUpdate: Date } {
    const start = Math.floor(this.clock() / 1000) * 1000;
    return { thisUpdate: new Date(start), nextUpdate: new Date(start + this.validity) };
  }

  /** The response's own bytes: the responder certificate at its end is the same in all, so it is kept once. */
  private headOf(der: Buffer): Buffer {
    const headLength = der.length - this.certificatesTail.length;
    if (!der.subarray(headLength).equals(this.certificatesTail)) throw new Error("OCSP response does not end with the responder certificate");
    return der.subarray(0, headLength);
  }

  private presignedAnswer(head: Buffer, thisUpdate: number): OcspAnswer {
    return new PresignedAnswer(head, this.certificatesTail, thisUpdate, this.validity, this.refreshAfter);
  }

  /** Re-signs queued responses a few at a time, off the request path. */
  private signInBackground(): void {
    while (!this.stopped && this.backgroundSigners < BACKGROUND_SIGNERS && this.backgroundQueue.size > 0) {
      const key = this.backgroundQueue.values().next().value!;
      this.backgroundQueue.delete(key);
      const thisUpdate = this.cache.thisUpdateOf(key);
      if (this.pending.has(key) || (thisUpdate !== undefined && this.clock() < thisUpdate + this.refreshAfter)) continue;
      const [hash, serial] = key.split(":") as [HashName, string];
      this.backgroundSigners++;
      this.presign(key, certIdFor(this.issuers.get(hash)!, Buffer.from(serial, "hex")))
        .catch((error: Error) => this.warn(`OCSP pre-signing failed: ${error.message}`))
        .finally(() => {
          this.backgroundSigners--;
          this.signInBackground();
        });
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.running.add(promise);
    const forget = () => this.running.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  private failed(error: unknown): OcspAnswer {
    this.warn(`OCSP response failed: ${(error as Error).message}`);
    return INTERNAL_ERROR;
  }

  /** At most one warning a minute: a database outage must not flood the log at thousands of requests a second. */
  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARNING_INTERVAL_MILLISECONDS) return;
    this.lastWarning = now;
    process.emitWarning(message);
  }
}
