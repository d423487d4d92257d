import { readJsonFile, writeJsonFile } from "./jsonFile.ts";

interface KeyStorageFile {
  /** "<origin> <applicationId>" → the folder holding that application's key containers. */
  applications: Record<string, string>;
}

/** Remembers, per origin and application, the folder where enrollment put the keys. */
export class KeyStorageMemory {
  private writing: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  async folderOf(origin: string, applicationId: string): Promise<string | undefined> {
    const file = await this.read();
    return file.applications[entryName(origin, applicationId)];
  }

  remember(origin: string, applicationId: string, folder: string): Promise<void> {
    const next = this.writing.then(async () => {
      const file = await this.read();
      file.applications[entryName(origin, applicationId)] = folder;
      await writeJsonFile(this.path, file);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<KeyStorageFile> {
    const file = await readJsonFile<KeyStorageFile>(this.path, { applications: {} });
    return { applications: { ...(file.applications ?? {}) } };
  }
}

const entryName = (origin: string, applicationId: string) => `${origin} ${applicationId}`;
