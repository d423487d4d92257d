import { open, type FileHandle } from "node:fs/promises";
import { parseCrl } from "@qoltanba/pki";
import type { CertificateAuthority } from "../authority.ts";
import type { CrlRecord } from "../storage/certificateStore.ts";
import { crlFilePath, writeCrlFile, type CrlKind } from "./crlPublisher.ts";

/** A CRL as served: its open file and what the HTTP headers say about it. */
export interface PublishedCrl {
  readonly file: FileHandle;
  readonly size: number;
  readonly number: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

interface FileIdentity {
  readonly ino: number;
  readonly mtimeMs: number;
  readonly size: number;
}

const WARNING_INTERVAL_MILLISECONDS = 60_000;

/**
 * The CRLs this node serves. The issuing CA's full and delta CRLs are the newest recorded in the
 * database, whichever node signed them: copied into this node's CA folder when the database has a
 * newer one (its bytes checked against the recorded SHA-256), and served from there. The database
 * is asked at most once per `refreshMilliseconds` per kind; when it cannot answer, the copy on disk
 * is served (it stays valid until its nextUpdate). The root CRL is the folder's file: the root key
 * is offline and its CRL comes with the folder from the ceremony.
 */
export class PublishedCrls {
  private readonly refreshed = new Map<CrlKind, { at: number; done: Promise<void> }>();
  private readonly headers = new Map<CrlKind, FileIdentity & Omit<PublishedCrl, "file" | "size">>();
  private lastWarning = 0;

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly refreshMilliseconds = 1000,
  ) {}

  /** The current CRL of a kind, opened (the caller closes it), or undefined when none was published yet. */
  async current(kind: CrlKind): Promise<PublishedCrl | undefined> {
    if (kind !== "root") await this.refresh(kind);
    return this.onDisk(kind);
  }

  /** The folder's copy, described from the open file: a copy renamed into place meanwhile cannot mix two CRLs' headers and bytes. */
  private async onDisk(kind: CrlKind): Promise<PublishedCrl | undefined> {
    const file = await open(crlFilePath(this.ca.dir, kind)).catch(() => undefined);
    if (!file) return undefined;
    try {
      const info = await file.stat();
      let known = this.headers.get(kind);
      if (!known || known.ino !== info.ino || known.mtimeMs !== info.mtimeMs || known.size !== info.size) {
        const der = Buffer.alloc(info.size);
        await file.read(der, 0, info.size, 0); // at a position: the handle's own stays at the start for its reader
        const crl = parseCrl(der);
        known = { ino: info.ino, mtimeMs: info.mtimeMs, size: info.size, number: crl.crlNumber, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate };
        this.headers.set(kind, known);
      }
      return { file, size: known.size, number: known.number, thisUpdate: known.thisUpdate, nextUpdate: known.nextUpdate };
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** Brings the folder's copy up to the database's newest CRL of this kind; concurrent requests share one check. */
  private refresh(kind: "full" | "delta"): Promise<void> {
    const last = this.refreshed.get(kind);
    if (last && Date.now() - last.at < this.refreshMilliseconds) return last.done;
    const done = (async () => {
      try {
        const latest = await this.ca.store.latestCrl(kind);
        const local = await this.onDisk(kind);
        await local?.file.close();
        if (latest && local?.number !== BigInt(latest.number)) await this.copy(latest);
      } catch (error) {
        this.warn(`the ${kind} CRL could not be brought up to date from the database, serving the copy on disk: ${(error as Error).message}`);
      }
    })();
    this.refreshed.set(kind, { at: Date.now(), done });
    return done;
  }

  private async copy(record: CrlRecord): Promise<void> {
    await writeCrlFile(
      crlFilePath(this.ca.dir, record.kind),
      async (sink) => {
        for await (const part of this.ca.store.crlBytes(record.number)) await sink(part);
        return { entryCount: record.entryCount };
      },
      ({ sha256 }) => {
        if (sha256 !== record.sha256) throw new Error(`the bytes of CRL ${record.number} in the database do not match its SHA-256`);
      },
    );
  }

  private warn(message: string): void {
    if (Date.now() - this.lastWarning < WARNING_INTERVAL_MILLISECONDS) return;
    this.lastWarning = Date.now();
    process.emitWarning(message);
  }
}
