import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { describeIssuer, writeCrl, type RevokedEntry, type SigningKey } from "@qoltanba/pki";
import type { CertificateAuthority } from "../authority.ts";
import type { CrlRecord, RevokedCertificate } from "../storage/certificateStore.ts";
import { fileParts, fileSpool, writeBounded } from "./fileSpool.ts";

export type CrlKind = "full" | "delta" | "root";

export const crlFilePath = (dir: string, kind: CrlKind) =>
  join(dir, "crl", { full: "issuing.crl", delta: "issuing-delta.crl", root: "root.crl" }[kind]);

/** How often CRLs are made and how long each is valid (nextUpdate − thisUpdate). */
export interface CrlSchedule {
  readonly fullValidityMinutes: number;
  readonly fullIntervalMinutes: number;
  readonly deltaValidityMinutes: number;
  readonly deltaIntervalMinutes: number;
  /** After a revocation, wait this long for more before making the delta (bursts share one). */
  readonly deltaDelayMilliseconds: number;
}

export const DEFAULT_CRL_SCHEDULE: CrlSchedule = {
  fullValidityMinutes: 24 * 60,
  fullIntervalMinutes: 12 * 60,
  deltaValidityMinutes: 60,
  deltaIntervalMinutes: 30,
  deltaDelayMilliseconds: 500,
};

const ROOT_CRL_VALIDITY_MONTHS = 12;

/**
 * Streams a CRL into its file: written under a temporary name and renamed, so readers see the old
 * CRL or the new one, never half of one. `accept` may refuse the whole file (by throwing) before it
 * takes the CRL's name. Returns the size and digest.
 */
export async function writeCrlFile(
  path: string,
  write: (sink: (chunk: Buffer) => Promise<void>) => Promise<{ entryCount: number }>,
  accept: (written: { byteLength: number; sha256: string }) => void = () => undefined,
): Promise<{ entryCount: number; byteLength: number; sha256: string }> {
  await mkdir(join(path, ".."), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(temporary);
  const digest = createHash("sha256");
  let byteLength = 0;
  try {
    const { entryCount } = await write(async (chunk) => {
      digest.update(chunk);
      byteLength += chunk.length;
      await writeBounded(out, chunk);
    });
    out.end();
    await finished(out);
    const written = { entryCount, byteLength, sha256: digest.digest("hex") };
    accept(written);
    await rename(temporary, path);
    return written;
  } catch (error) {
    out.destroy();
    await finished(out).catch(() => undefined); // a write still under way fails once destroyed: heard here, not thrown
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The root's CRL (made at init and at root ceremonies: the root key is otherwise offline). */
export async function writeRootCrl(dir: string, rootCertificate: Buffer, rootKey: SigningKey, number: number, now = new Date()) {
  const root = describeIssuer(rootCertificate);
  const nextUpdate = new Date(now);
  nextUpdate.setUTCMonth(nextUpdate.getUTCMonth() + ROOT_CRL_VALIDITY_MONTHS);
  return writeCrlFile(crlFilePath(dir, "root"), (sink) =>
    writeCrl(
      { issuerName: root.name, authorityKeyIdentifier: root.keyIdentifier, crlNumber: BigInt(number), thisUpdate: now, nextUpdate },
      rootKey,
      async function* () {},
      sink,
    ),
  );
}

function toEntry(revoked: RevokedCertificate): RevokedEntry {
  const entry: RevokedEntry = { serial: Buffer.from(revoked.serial, "hex"), revokedAt: revoked.revokedAt };
  if (revoked.reason !== "unspecified") entry.reason = revoked.reason;
  if (revoked.invalidityDate) entry.invalidityDate = revoked.invalidityDate;
  return entry;
}

/**
 * Makes the issuing CA's full and delta CRLs from the database, streaming (memory stays flat for
 * millions of entries), and records each, bytes and audit entry, in the database, from which every
 * node serves it (`PublishedCrls`). Several nodes may run one: they take turns under the store's
 * CRL signing lock, and each checks inside it whether another already made what was due.
 */
export class CrlPublisher {
  private readonly issuer;
  private deltaTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly schedule: CrlSchedule = DEFAULT_CRL_SCHEDULE,
  ) {
    this.issuer = describeIssuer(ca.certificates.issuing);
  }

  /** Signs a new CRL of this kind now (`ca crl`, tests), whatever was made before. */
  generate(kind: "full" | "delta"): Promise<CrlRecord> {
    return this.serially(() => this.ca.store.withCrlSigningLock(() => this.sign(kind)));
  }

  /** Signs a CRL of this kind only if, once this node holds the lock, it is still needed. */
  private generateIfNeeded(kind: "full" | "delta", needed: () => Promise<boolean>): Promise<CrlRecord | undefined> {
    return this.serially(() => this.ca.store.withCrlSigningLock(async () => ((await needed()) ? this.sign(kind) : undefined)));
  }

  /** One CRL at a time in this process: generations queue rather than race for the number. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.running.then(work);
    this.running = next.catch(() => undefined);
    return next;
  }

  /** Missing, or older than its interval. */
  private async due(kind: "full" | "delta"): Promise<boolean> {
    const latest = await this.ca.store.latestCrl(kind);
    const interval = kind === "full" ? this.schedule.fullIntervalMinutes : this.schedule.deltaIntervalMinutes;
    return !latest || Date.now() - latest.thisUpdate.getTime() >= interval * 60_000;
  }

  /** A revocation change no delta lists yet. */
  private async deltaBehind(): Promise<boolean> {
    const latest = await this.ca.store.latestCrl("delta");
    return !latest || (await this.ca.store.lastRevocationSeq()) > latest.revocationMark;
  }

  /** Must be called holding the signing lock. */
  private async sign(kind: "full" | "delta"): Promise<CrlRecord> {
    const signer = this.ca.signer;
    if (!signer) throw new Error("the CA was opened without its key password: CRLs cannot be signed");
    const { store } = this.ca;
    let base = kind === "delta" ? await store.latestCrl("full") : undefined;
    if (kind === "delta" && !base) base = await this.sign("full");
    const number = await store.nextCrlNumber();
    const revocationMark = await store.currentRevocationMark();
    const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const validity = kind === "full" ? this.schedule.fullValidityMinutes : this.schedule.deltaValidityMinutes;
    const nextUpdate = new Date(thisUpdate.getTime() + validity * 60_000);
    const selection = kind === "full" ? { upToSeq: revocationMark } : { changedAfterSeq: base!.revocationMark, upToSeq: revocationMark };
    const entries = async function* () {
      for await (const page of store.revokedCertificatePages(selection)) yield page.map(toEntry);
    };
    // Signed into a file of this process's own, published under the CRL's name once recorded; the
    // encoded entries wait in another while their length is counted, so the database is read once.
    const signed = join(this.ca.dir, "crl", `${kind}.${process.pid}.signed`);
    const spool = fileSpool(join(this.ca.dir, "crl", `${kind}.${process.pid}.entries`));
    try {
      const written = await writeCrlFile(signed, (sink) =>
        writeCrl(
          {
            issuerName: this.issuer.name,
            authorityKeyIdentifier: this.issuer.keyIdentifier,
            crlNumber: BigInt(number),
            thisUpdate,
            nextUpdate,
            ...(kind === "delta" ? { baseCrlNumber: BigInt(base!.number) } : { freshestCrlUrls: [this.ca.urls.deltaCrl] }),
          },
          signer.key("issuing"),
          entries,
          sink,
          spool,
        ),
      );
      const record: CrlRecord = {
        number,
        kind,
        ...(kind === "delta" ? { baseNumber: base!.number } : {}),
        thisUpdate,
        nextUpdate,
        revocationMark,
        ...written,
      };
      await store.recordCrl(record, fileParts(signed));
      await rename(signed, crlFilePath(this.ca.dir, kind));
      return record;
    } finally {
      await spool.remove();
      await rm(signed, { force: true });
    }
  }

  /** A revocation happened: make a new delta soon (bursts of revocations share one; so do nodes). */
  revocationChanged(): void {
    if (this.deltaTimer) return;
    this.deltaTimer = setTimeout(() => {
      this.deltaTimer = undefined;
      this.generateIfNeeded("delta", () => this.deltaBehind()).catch((error) =>
        process.emitWarning(`delta CRL failed: ${(error as Error).message}`),
      );
    }, this.schedule.deltaDelayMilliseconds);
  }

  /**
   * Makes the CRLs that are missing or past their interval now, then checks again often enough
   * (a quarter of the delta interval, at most a minute) that when the node that made the last one
   * stops, another takes over within that time.
   */
  async start(): Promise<void> {
    const makeDue = async () => {
      await this.generateIfNeeded("full", () => this.due("full"));
      await this.generateIfNeeded("delta", () => this.due("delta"));
    };
    await makeDue();
    const every = Math.min(60_000, (this.schedule.deltaIntervalMinutes * 60_000) / 4);
    this.checkTimer = setInterval(() => {
      makeDue().catch((error) => process.emitWarning(`CRL failed: ${(error as Error).message}`));
    }, every);
    this.checkTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.checkTimer);
    if (this.deltaTimer) clearTimeout(this.deltaTimer);
    await this.running;
  }
}
