// The agent's questions in words, on top of five primitive prompts that each backend (native
// dialog tools, the terminal, the agent's own page) provides.
import { describePreview } from "../signing/preview.ts";
import type {
  Dialogs,
  KeyDescription,
  NewPasswordQuestion,
  OriginDecision,
  PasswordQuestion,
  RequestSummary,
} from "./dialogs.ts";

export interface PromptBackend {
  /** One of `choices` (index), undefined when dismissed. */
  choose(title: string, text: string, choices: string[]): Promise<number | undefined>;
  /** A hidden entry. */
  secret(title: string, text: string): Promise<string | undefined>;
  /** A file (or a folder) to open. */
  path(
    title: string,
    options: { folder: boolean; extensions: string[]; startDir?: string },
  ): Promise<string | undefined>;
  message(title: string, text: string): Promise<void>;
}

const TITLE = "Qoltanba agent";
const ORIGIN_CHOICES: Array<[string, OriginDecision]> = [
  ["Allow this time", "once"],
  ["Always allow this site", "always"],
  ["Deny", "deny"],
];

export function requestText(request: RequestSummary): string {
  const who =
    request.origin === "local" ? "A program on this computer (no web page)" : `The website ${request.origin}`;
  const documents = request.documents.map(
    (preview, index) => `— Document ${index + 1}: ${describePreview(preview)}`,
  );
  return [`${who} asks to ${request.operation}.`, ...documents].join("\n\n");
}

export const keyLine = (key: KeyDescription): string =>
  `${key.subject} — ${key.usage} — issued by ${key.issuer}, serial ${key.serialNumber}, valid to ${key.validTo.slice(0, 10)} — ${key.location}`;

/**
 * Calls to one backend go one at a time: two windows at once would confuse the person, and a
 * terminal has one keyboard.
 */
export class PromptDialogs implements Dialogs {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly backend: PromptBackend) {}

  private serial<T>(ask: () => Promise<T>): Promise<T> {
    const answer = this.queue.then(ask);
    this.queue = answer.catch(() => undefined);
    return answer;
  }

  approveOrigin(origin: string): Promise<OriginDecision | undefined> {
    const who =
      origin === "local" ? "A program on this computer (it sent no web origin)" : `The website ${origin}`;
    return this.serial(async () => {
      const index = await this.backend.choose(
        TITLE,
        `${who} wants to use your signing keys through the Qoltanba agent.\nEach signature will still be shown to you and need your password.`,
        ORIGIN_CHOICES.map(([label]) => label),
      );
      return index === undefined ? undefined : ORIGIN_CHOICES[index]?.[1];
    });
  }

  chooseFile(question: {
    request: RequestSummary;
    title: string;
    extensions: string[];
    startDir?: string;
  }): Promise<string | undefined> {
    return this.serial(() =>
      this.backend.path(`${question.title} — for ${question.request.origin}`, {
        folder: false,
        extensions: question.extensions,
        ...(question.startDir ? { startDir: question.startDir } : {}),
      }),
    );
  }

  chooseFolder(question: {
    request: RequestSummary;
    title: string;
    startDir?: string;
  }): Promise<string | undefined> {
    return this.serial(() =>
      this.backend.path(`${question.title} — for ${question.request.origin}`, {
        folder: true,
        extensions: [],
        ...(question.startDir ? { startDir: question.startDir } : {}),
      }),
    );
  }

  chooseStorage(question: { request: RequestSummary; storages: string[] }): Promise<number | undefined> {
    return this.serial(() =>
      this.backend.choose(TITLE, `${requestText(question.request)}\n\nWhere is your key?`, question.storages),
    );
  }

  askPassword(question: PasswordQuestion): Promise<string | undefined> {
    const warning = question.warning
      ? `\n\n${question.warning}`
      : question.failedAttempts > 0
        ? `\n\nWrong password (${question.failedAttempts} failed in a row). Further attempts are slowed down.`
        : "";
    return this.serial(() =>
      this.backend.secret(
        TITLE,
        `${requestText(question.request)}\n\n${question.pin ? "PIN" : "Password"} of ${question.target}:${warning}`,
      ),
    );
  }

  newPassword(question: NewPasswordQuestion): Promise<string | undefined> {
    return this.serial(async () => {
      let problem = question.problem;
      for (;;) {
        const intro = `${requestText(question.request)}\n\nThe new keys will be kept in ${question.folder}, encrypted with a password you choose now (6 to 32 characters with an upper-case letter, a lower-case letter and a digit).`;
        const first = await this.backend.secret(TITLE, problem ? `${intro}\n\n${problem}` : intro);
        if (first === undefined) return undefined;
        const second = await this.backend.secret(TITLE, "Type the same password again:");
        if (second === undefined) return undefined;
        if (first === second) return first;
        problem = "The two passwords differ.";
      }
    });
  }

  chooseKey(question: { request: RequestSummary; keys: KeyDescription[] }): Promise<number | undefined> {
    const text = `${requestText(question.request)}\n\n${question.keys.length === 1 ? "Use this key?" : "Choose the key to use:"}`;
    return this.serial(() => this.backend.choose(TITLE, text, question.keys.map(keyLine)));
  }

  inform(message: string): Promise<void> {
    return this.serial(() => this.backend.message(TITLE, message));
  }
}
