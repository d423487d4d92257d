import type { FastifyInstance, FastifyReply } from "fastify";
import { toPem } from "@qoltanba/pki";
import { isLanguage } from "../../i18n/index.ts";
import { MailCatcher } from "../../mail/mailTransport.ts";
import { pageScriptRoute, portalStylesheet } from "../bundle.ts";
import { setCookie } from "../cookies.ts";
import { homePage } from "../pages/home.ts";
import { mailCatcherPage } from "../pages/mailCatcher.ts";
import { recentValue } from "../recentValue.ts";
import { COOKIE, type Form, type Site } from "../site.ts";

/** Static files, the base certificates, the home page, the language switch and the demo's mail catcher. */
export function publicRoutes(app: FastifyInstance, site: Site): void {
  const { root, issuing } = site.portal.ca.caCertificates();

  app.get("/static/portal.css", async (_request, reply) =>
    reply
      .type("text/css; charset=utf-8")
      .header("cache-control", "public, max-age=3600")
      .send(await portalStylesheet()),
  );
  pageScriptRoute(app, "portal");
  const baseCertificates = { pki_rsa: issuing, root_rsa: root } as const;
  for (const [name, der] of Object.entries(baseCertificates)) {
    // application/x-x509-ca-cert makes browsers offer to import the CA (Firefox's trust dialog).
    app.get(`/certificates/${name}.cer`, async (_request, reply) =>
      reply
        .type("application/x-x509-ca-cert")
        .header("content-disposition", `attachment; filename="${name}.cer"`)
        .header("cache-control", "public, max-age=86400")
        .send(der),
    );
    app.get(`/certificates/${name}.pem`, async (_request, reply) =>
      reply
        .type("application/x-x509-ca-cert")
        .header("content-disposition", `attachment; filename="${name}.pem"`)
        .header("cache-control", "public, max-age=86400")
        .send(toPem("CERTIFICATE", der)),
    );
  }

  // The user counters may be a second old: one read a second, not one a page view.
  const counters = recentValue(() => site.portal.store.counters(), 1000);
  app.get("/", async (request, reply) => {
    const context = site.contextOf(request, reply);
    return site.send(reply, context, context.t.siteName, homePage(context, await counters()));
  });
  /** Sets the language and sends the browser back to a path of this site (never an open redirect). */
  const switchLanguage = (reply: FastifyReply, language: string, back: unknown, status: 303 | 307) => {
    if (isLanguage(language))
      setCookie(reply, COOKIE.language, language, { secure: site.secure, maxAgeSeconds: 365 * 86400 });
    const path = typeof back === "string" && /^\/(?![/\\])[\w\-/.]*$/.test(back) ? back : "/";
    return reply.redirect(path, status);
  };
  app.get<{ Params: { language: string }; Querystring: { back?: string } }>(
    "/lang/:language",
    async (request, reply) => switchLanguage(reply, request.params.language, request.query.back, 303),
  );
  // A page shown by a POST (the console's search results, an application) is posted again: 307
  // keeps the method and the form, whose CSRF token the page's route checks as it always does.
  app.post<{ Params: { language: string }; Body: Form }>("/lang/:language", async (request, reply) =>
    switchLanguage(reply, request.params.language, request.body?.back, 307),
  );

  if (site.portal.mail instanceof MailCatcher) {
    const catcher = site.portal.mail;
    app.get("/mail-catcher", async (request, reply) => {
      // It shows personal data: only to someone on this machine.
      if (!["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(request.ip)) return reply.code(404).send();
      const context = site.contextOf(request, reply);
      return site.send(reply, context, "Mail catcher", mailCatcherPage(catcher.messages));
    });
  }
}
