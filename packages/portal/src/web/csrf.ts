import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * CSRF by signed double submit: the browser holds a random cookie (HttpOnly, SameSite=Strict) and
 * every form carries HMAC(key, cookie). A page of another site can neither read the cookie nor
 * compute the token, and the server keeps no session state.
 */
export class CsrfTokens {
  constructor(private readonly key: Buffer) {}

  static newCookieValue(): string {
    return randomBytes(18).toString("base64url");
  }

  tokenFor(cookie: string): string {
    return createHmac("sha256", this.key).update(cookie).digest("base64url");
  }

  verify(cookie: string | undefined, token: unknown): boolean {
    if (!cookie || typeof token !== "string") return false;
    const expected = Buffer.from(this.tokenFor(cookie));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
