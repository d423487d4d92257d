import { extname } from "node:path";
import type { UnattendedSettings } from "../settings/unattended.ts";
import type { Dialogs, OriginDecision } from "./dialogs.ts";

/**
 * Answers every question from the unattended file; whatever the file does not settle would need a
 * person's choice, and is cancelled.
 */
export class UnattendedDialogs implements Dialogs {
  constructor(private readonly settings: UnattendedSettings) {}

  async approveOrigin(origin: string): Promise<OriginDecision> {
    return this.settings.origins.includes(origin) ? "once" : "deny";
  }

  async chooseFile(question: { extensions: string[] }): Promise<string | undefined> {
    const wanted = question.extensions.map((extension) => `.${extension.toLowerCase()}`);
    return this.settings.files.find(
      (file) => wanted.length === 0 || wanted.includes(extname(file).toLowerCase()),
    );
  }

  async chooseFolder(): Promise<string | undefined> {
    return this.settings.keyDir;
  }

  /** The only store, else the file's preferred one when it is among them; never another. */
  async chooseStorage(question: { storages: string[] }): Promise<number | undefined> {
    if (question.storages.length === 1) return 0;
    const preferred = this.settings.preferredStorage;
    const index = preferred === undefined ? -1 : question.storages.indexOf(preferred);
    return index === -1 ? undefined : index;
  }

  async askPassword(): Promise<string | undefined> {
    return undefined;
  }

  async newPassword(): Promise<string | undefined> {
    return this.settings.keyPassword;
  }

  async chooseKey(question: { keys: unknown[] }): Promise<number | undefined> {
    return question.keys.length === 1 ? 0 : undefined;
  }

  async inform(): Promise<void> {}
}
