import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const RECENT_TOKENS = 10_000;
const MAX_REMEMBERED_COOKIE_LENGTH = 64;

/**
 * CSRF by signed double submit: the browser holds a random cookie (HttpOnly, SameSite=Strict) and
 * every form carries HMAC(key, cookie). A page of another site can neither read the cookie nor
 * compute the token, and the server keeps no session state.
 */
export class CsrfTokens {
  /** Tokens of recent cookies: each page view and form post needs its cookie's token, an HMAC each time otherwise. */
  private readonly recent = new Map<string, string>();

  constructor(private readonly key: Buffer) {}

  static newCookieValue(): string {
    return randomBytes(18).toString("base64url");
  }

  tokenFor(cookie: string): string {
    let token = this.recent.get(cookie);
    if (token === undefined) {
      token = createHmac("sha256", this.key).update(cookie).digest("base64url");
      if (cookie.length > MAX_REMEMBERED_COOKIE_LENGTH) return token; // ours are 24 characters: no memory for forged ones
      if (this.recent.size >= RECENT_TOKENS) this.recent.clear();
      this.recent.set(cookie, token);
    }
    return token;
  }

  verify(cookie: string | undefined, token: unknown): boolean {
    if (!cookie || typeof token !== "string") return false;
    const expected = Buffer.from(this.tokenFor(cookie));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
