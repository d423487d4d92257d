// Dialogs as a page the agent serves on its own origin (https://127.0.0.1:PORT/dialog), for a
// desktop without zenity or kdialog. The page holds a random token that other pages cannot read;
// answers must come from the agent's own origin with that token.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { DIALOG_PAGE_HTML, DIALOG_PAGE_SCRIPT } from "./webPageAssets.ts";
import type { PromptBackend } from "./promptDialogs.ts";

type Question =
  | { kind: "choose"; title: string; text: string; choices: string[] }
  | { kind: "secret"; title: string; text: string }
  | { kind: "path"; title: string; text: string }
  | { kind: "message"; title: string; text: string };

const MAX_ANSWER_BYTES = 16 * 1024;
/** Without a poll for this long, the page is taken as closed and opened again. */
const PAGE_GONE_MS = 5000;

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
};

export class WebPageBackend implements PromptBackend {
  private readonly token = randomBytes(24).toString("base64url");
  private current: { id: number; question: Question; resolve: (value: unknown) => void } | undefined;
  private nextId = 1;
  private lastPoll = 0;
  private origin = "";

  constructor(private readonly openBrowser: (url: string) => void) {}

  /** Set once the agent listens: the page's URL and the only origin answers are taken from. */
  listeningOn(port: number): void {
    this.origin = `https://127.0.0.1:${port}`;
  }

  get pageUrl(): string {
    return `${this.origin}/dialog#${this.token}`;
  }

  private ask(question: Question): Promise<unknown> {
    return new Promise((resolve) => {
      this.current = { id: this.nextId++, question, resolve };
      if (Date.now() - this.lastPoll > PAGE_GONE_MS) this.openBrowser(this.pageUrl);
    });
  }

  async choose(title: string, text: string, choices: string[]) {
    const value = await this.ask({ kind: "choose", title, text, choices });
    return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < choices.length
      ? value
      : undefined;
  }
  async secret(title: string, text: string) {
    const value = await this.ask({ kind: "secret", title, text });
    return typeof value === "string" && value !== "" ? value : undefined;
  }
  async path(title: string, options: { folder: boolean; extensions: string[]; startDir?: string }) {
    const kind = options.folder
      ? "folder"
      : `file${options.extensions.length ? ` (${options.extensions.map((extension) => `.${extension}`).join(", ")})` : ""}`;
    const value = await this.ask({
      kind: "path",
      title,
      text: `Full path of the ${kind}${options.startDir ? `, e.g. in ${options.startDir}` : ""}:`,
    });
    return typeof value === "string" && value !== "" ? value : undefined;
  }
  async message(title: string, text: string) {
    await this.ask({ kind: "message", title, text });
  }

  /** Serves the page and its API; false for any other path. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const url = new URL(request.url ?? "/", "https://127.0.0.1");
    if (!url.pathname.startsWith("/dialog")) return false;
    const send = (status: number, type: string, body: string) =>
      response.writeHead(status, { ...SECURITY_HEADERS, "content-type": type }).end(body);
    if (request.method === "GET" && url.pathname === "/dialog") {
      send(200, "text/html; charset=utf-8", DIALOG_PAGE_HTML);
    } else if (request.method === "GET" && url.pathname === "/dialog/app.js") {
      send(200, "text/javascript; charset=utf-8", DIALOG_PAGE_SCRIPT);
    } else if (!this.authorized(request)) {
      send(403, "text/plain", "forbidden");
    } else if (request.method === "GET" && url.pathname === "/dialog/question") {
      this.lastPoll = Date.now();
      send(
        200,
        "application/json",
        JSON.stringify(this.current ? { id: this.current.id, ...this.current.question } : {}),
      );
    } else if (request.method === "POST" && url.pathname === "/dialog/answer") {
      this.readAnswer(request, (answer) => {
        const current = this.current;
        if (current && answer?.id === current.id) {
          this.current = undefined;
          current.resolve(answer.value);
        }
        send(204, "text/plain", "");
      });
    } else {
      send(404, "text/plain", "not found");
    }
    return true;
  }

  /** The token in a header (not readable cross-origin, not sent by a plain form) and, for POST, our own Origin. */
  private authorized(request: IncomingMessage): boolean {
    const given = Buffer.from(String(request.headers["x-dialog-token"] ?? ""));
    const expected = Buffer.from(this.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    return request.method !== "POST" || request.headers.origin === this.origin;
  }

  private readAnswer(
    request: IncomingMessage,
    done: (answer: { id?: unknown; value?: unknown } | undefined) => void,
  ): void {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
    });
    request.on("end", () => {
      try {
        done(size > MAX_ANSWER_BYTES ? undefined : JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        done(undefined);
      }
    });
  }
}
