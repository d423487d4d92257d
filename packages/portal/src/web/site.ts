import type { FastifyReply, FastifyRequest } from "fastify";
import { DEFAULT_LANGUAGE, errorMessage, fill, isLanguage, messages, type Language } from "../i18n/index.ts";
import { DEFAULT_AGENT_ORIGIN, type Portal } from "../portal.ts";
import { readCookie, setCookie } from "./cookies.ts";
import { CsrfTokens } from "./csrf.ts";
import { html, type Html } from "./html.ts";
import { errorBox, layout, type PageContext } from "./layout.ts";
import { RateLimiter } from "./rateLimit.ts";

export const COOKIE = {
  language: "qlang",
  csrf: "qcsrf",
  agreed: "qagree",
  ticket: "qticket",
  receipt: "qreceipt",
} as const;
export const FORM_BODY_LIMIT = 4 * 1024;
export const SUBMIT_BODY_LIMIT = 24 * 1024;

export type Form = Record<string, string | undefined>;

/** What every route of the portal shares: language, CSRF tokens, page rendering, rate limits. */
export class Site {
  readonly secure: boolean;
  readonly csrf: CsrfTokens;
  readonly agentOrigin: string;
  readonly limiters: Record<"identity" | "submit" | "status", RateLimiter>;

  constructor(readonly portal: Portal) {
    this.secure = portal.options.secureCookies ?? false;
    this.csrf = new CsrfTokens(portal.csrfKey);
    this.agentOrigin = portal.options.agentOrigin ?? DEFAULT_AGENT_ORIGIN;
    const limiter = (name: "identity" | "submit" | "status") =>
      new RateLimiter(portal.rateLimits[name].limit, portal.rateLimits[name].windowMilliseconds);
    this.limiters = { identity: limiter("identity"), submit: limiter("submit"), status: limiter("status") };
  }

  languageOf(request: FastifyRequest): Language {
    const cookie = readCookie(request, COOKIE.language);
    return isLanguage(cookie) ? cookie : DEFAULT_LANGUAGE;
  }

  /** The page's context; gives the browser its CSRF cookie on the first page. */
  contextOf(request: FastifyRequest, reply: FastifyReply): PageContext {
    let cookie = readCookie(request, COOKIE.csrf);
    if (!cookie || cookie.length > 64) {
      cookie = CsrfTokens.newCookieValue();
      setCookie(reply, COOKIE.csrf, cookie, { secure: this.secure });
    }
    const language = this.languageOf(request);
    return {
      language,
      t: messages(language),
      csrfToken: this.csrf.tokenFor(cookie),
      path: request.url.split("?")[0]!,
      agentUrl: `${this.agentOrigin}/`,
    };
  }

  wantsJson(request: FastifyRequest): boolean {
    return (request.headers.accept ?? "").includes("application/json");
  }

  send(reply: FastifyReply, context: PageContext, title: string, body: Html, status = 200, script = false) {
    // As bytes: a string would be scanned for its UTF-8 length, then encoded again when written.
    return reply
      .code(status)
      .type("text/html; charset=utf-8")
      .send(Buffer.from(layout(context, title, body, { script }).text));
  }

  /** An error page (or JSON for the page script) with the message for `code`. */
  error(request: FastifyRequest, reply: FastifyReply, status: number, code: string) {
    const language = this.languageOf(request);
    if (this.wantsJson(request) || (request.headers["content-type"] ?? "").includes("json"))
      return reply.code(status).send({ error: code, message: errorMessage(language, code) });
    const context = this.contextOf(request, reply);
    return this.send(
      reply,
      context,
      context.t.errorTitle,
      html`${errorBox(errorMessage(language, code))}<p><a href="/">${context.t.backHome}</a></p>`,
      status,
    );
  }

  /** Counts a hit against a per-IP limit; over it, answers 429 with Retry-After and returns true. */
  limited(name: "identity" | "submit" | "status", request: FastifyRequest, reply: FastifyReply): boolean {
    const limiter = this.limiters[name];
    if (limiter.allow(request.ip)) return false;
    const seconds = limiter.retryAfterSeconds();
    const message = fill(messages(this.languageOf(request)).tooMany, { seconds: String(seconds) });
    reply.code(429).header("retry-after", String(seconds));
    if (this.wantsJson(request)) void reply.send({ error: "rate_limited", message });
    else {
      const context = this.contextOf(request, reply);
      void this.send(reply, context, context.t.errorTitle, errorBox(message), 429);
    }
    return true;
  }
}
