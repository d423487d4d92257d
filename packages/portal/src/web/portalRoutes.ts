import type { FastifyInstance } from "fastify";
import type { Portal } from "../portal.ts";
import { readCookie } from "./cookies.ts";
import { consoleRoutes } from "./console/consoleRoutes.ts";
import { applyRoutes } from "./routes/applyRoutes.ts";
import { publicRoutes } from "./routes/publicRoutes.ts";
import { statusRoutes } from "./routes/statusRoutes.ts";
import { securityHeaders } from "./securityHeaders.ts";
import { COOKIE, FORM_BODY_LIMIT, Site, type Form } from "./site.ts";

/** Every page of the portal, as one Fastify plugin with its own hooks (headers, CSRF, errors). */
export async function portalRoutes(app: FastifyInstance, options: { portal: Portal }): Promise<void> {
  const site = new Site(options.portal);

  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: FORM_BODY_LIMIT },
    (_request, body, done) => {
      const form: Form = {};
      for (const [key, value] of new URLSearchParams(body as string)) form[key] ??= value;
      done(null, form);
    },
  );
  app.addHook("onSend", securityHeaders(site.agentOrigin, site.secure));

  /** A request from another site, or a stale page: refused before anything is read or stored. */
  app.addHook("preHandler", async (request, reply) => {
    if (request.method !== "POST") return;
    const body = (request.body ?? {}) as Form;
    const token = (request.headers["x-csrf-token"] as string | undefined) ?? body._csrf;
    if (site.csrf.verify(readCookie(request, COOKIE.csrf), token)) return;
    return site.error(request, reply, 403, "csrf");
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status =
      error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
        ? 413
        : error.statusCode && error.statusCode < 500
          ? error.statusCode
          : 500;
    if (status >= 500)
      request.log.error({ err: { type: error.name, message: error.message } }, "portal error");
    return site.error(request, reply, status, status === 413 ? "body_too_large" : "generic");
  });

  publicRoutes(app, site);
  applyRoutes(app, site);
  statusRoutes(app, site);
  consoleRoutes(app, site);
}
