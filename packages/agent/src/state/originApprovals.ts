import { readJsonFile, writeJsonFile } from "./jsonFile.ts";

export interface ApprovedOrigin {
  origin: string;
  approvedAt: string;
}

interface OriginsFile {
  origins: ApprovedOrigin[];
}

/**
 * The origins the person allowed "always", in the home folder. Read from disk on every check, so
 * `qoltanba agent origins revoke` takes effect on a running agent at the next connection.
 */
export class OriginApprovals {
  private writing: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  async list(): Promise<ApprovedOrigin[]> {
    const file = await readJsonFile<OriginsFile>(this.path, { origins: [] });
    return Array.isArray(file.origins) ? file.origins : [];
  }

  async isApproved(origin: string): Promise<boolean> {
    return (await this.list()).some((entry) => entry.origin === origin);
  }

  approve(origin: string, now = new Date()): Promise<void> {
    return this.update((origins) =>
      origins.some((entry) => entry.origin === origin)
        ? origins
        : [...origins, { origin, approvedAt: now.toISOString() }],
    );
  }

  /** Returns whether the origin was approved. */
  async revoke(origin: string): Promise<boolean> {
    let found = false;
    await this.update((origins) => {
      found = origins.some((entry) => entry.origin === origin);
      return origins.filter((entry) => entry.origin !== origin);
    });
    return found;
  }

  private update(change: (origins: ApprovedOrigin[]) => ApprovedOrigin[]): Promise<void> {
    const next = this.writing.then(async () =>
      writeJsonFile(this.path, { origins: change(await this.list()) }),
    );
    this.writing = next.catch(() => undefined);
    return next;
  }
}
