import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * The portal's response headers: a strict Content-Security-Policy (scripts and styles from this
 * origin only; connections to this origin and the local agent only), no framing, no sniffing, no
 * referrer, and no caching of pages that may show personal data.
 */
export function securityHeaders(agentOrigin: string, https: boolean) {
  const policy = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${agentOrigin}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
  return async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header("content-security-policy", policy);
    reply.header("x-content-type-options", "nosniff");
    reply.header("x-frame-options", "DENY");
    reply.header("referrer-policy", "no-referrer");
    reply.header("cross-origin-opener-policy", "same-origin");
    reply.header("cross-origin-resource-policy", "same-origin");
    reply.header("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()");
    if (https) reply.header("strict-transport-security", "max-age=31536000");
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
  };
}
