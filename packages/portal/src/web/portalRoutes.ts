import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InputError, toPem } from "@qoltanba/pki";
import { parseApplicationNumber } from "../enrollment/applicationNumber.ts";
import { LIMITS, receiptHash } from "../enrollment/enrollment.ts";
import { DEFAULT_LANGUAGE, errorMessage, fill, isLanguage, messages, type Language } from "../i18n/index.ts";
import { MailCatcher } from "../mail/mailTransport.ts";
import { applicationFormPdf } from "../pdf/applicationForm.ts";
import { DEFAULT_AGENT_ORIGIN, type Portal } from "../portal.ts";
import type { Application } from "../storage/portalStore.ts";
import { browserBundle, portalStylesheet } from "./bundle.ts";
import { readCookie, setCookie } from "./cookies.ts";
import { CsrfTokens } from "./csrf.ts";
import { html, type Html } from "./html.ts";
import { errorBox, layout, type PageContext } from "./layout.ts";
import { agreementPage, detailsPage, donePage, identityPage, individualsPage, type DetailsValues } from "./pages/apply.ts";
import { cabinetPage, homePage } from "./pages/home.ts";
import { statusForm, statusResult } from "./pages/status.ts";
import { mailCatcherPage } from "./pages/mailCatcher.ts";
import { RateLimiter } from "./rateLimit.ts";
import { securityHeaders } from "./securityHeaders.ts";

const COOKIE = { language: "qlang", csrf: "qcsrf", agreed: "qagree", ticket: "qticket", receipt: "qreceipt" } as const;
const FORM_BODY_LIMIT = 4 * 1024;
const SUBMIT_BODY_LIMIT = 24 * 1024;

type Form = Record<string, string | undefined>;

/** Every page of the portal, as one Fastify plugin with its own hooks (headers, CSRF, errors). */
export async function portalRoutes(app: FastifyInstance, options: { portal: Portal }): Promise<void> {
  const { portal } = options;
  const secure = portal.options.secureCookies ?? false;
  const csrf = new CsrfTokens(portal.csrfKey);
  const limiters = {
    identity: new RateLimiter(portal.rateLimits.identity.limit, portal.rateLimits.identity.windowMilliseconds),
    submit: new RateLimiter(portal.rateLimits.submit.limit, portal.rateLimits.submit.windowMilliseconds),
    status: new RateLimiter(portal.rateLimits.status.limit, portal.rateLimits.status.windowMilliseconds),
  };
  const { root, issuing } = portal.ca.caCertificates();

  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => {
    const form: Form = {};
    for (const [key, value] of new URLSearchParams(body as string)) form[key] ??= value;
    done(null, form);
  });
  const agentOrigin = portal.options.agentOrigin ?? DEFAULT_AGENT_ORIGIN;
  app.addHook("onSend", securityHeaders(agentOrigin, secure));

  const languageOf = (request: FastifyRequest): Language => {
    const cookie = readCookie(request, COOKIE.language);
    return isLanguage(cookie) ? cookie : DEFAULT_LANGUAGE;
  };
  const contextOf = (request: FastifyRequest, reply: FastifyReply): PageContext => {
    let cookie = readCookie(request, COOKIE.csrf);
    if (!cookie || cookie.length > 64) {
      cookie = CsrfTokens.newCookieValue();
      setCookie(reply, COOKIE.csrf, cookie, { secure });
    }
    const language = languageOf(request);
    return { language, t: messages(language), csrfToken: csrf.tokenFor(cookie), path: request.url.split("?")[0]!, agentUrl: `${agentOrigin}/` };
  };
  const wantsJson = (request: FastifyRequest) => (request.headers.accept ?? "").includes("application/json");
  const send = (reply: FastifyReply, context: PageContext, title: string, body: Html, status = 200, script = false) =>
    reply.code(status).type("text/html; charset=utf-8").send(layout(context, title, body, { script }).text);

  /** A request from another site, or a stale page: refused before anything is read or stored. */
  app.addHook("preHandler", async (request, reply) => {
    if (request.method !== "POST") return;
    const body = (request.body ?? {}) as Form;
    const token = (request.headers["x-csrf-token"] as string | undefined) ?? body._csrf;
    if (csrf.verify(readCookie(request, COOKIE.csrf), token)) return;
    const language = languageOf(request);
    if (wantsJson(request)) return reply.code(403).send({ error: "csrf", message: errorMessage(language, "csrf") });
    const context = contextOf(request, reply);
    return send(reply, context, context.t.errorTitle, html`${errorBox(errorMessage(language, "csrf"))}<p><a href="/">${context.t.backHome}</a></p>`, 403);
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const language = languageOf(request);
    const status = error.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? 413 : error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    const code = status === 413 ? "body_too_large" : "generic";
    if (status >= 500) request.log.error({ err: { type: error.name, message: error.message } }, "portal error");
    if (wantsJson(request) || (request.headers["content-type"] ?? "").includes("json")) return reply.code(status).send({ error: code, message: errorMessage(language, code) });
    const context = contextOf(request, reply);
    return send(reply, context, context.t.errorTitle, html`${errorBox(errorMessage(language, code))}<p><a href="/">${context.t.backHome}</a></p>`, status);
  });

  const limited = (limiter: RateLimiter, request: FastifyRequest, reply: FastifyReply): boolean => {
    if (limiter.allow(request.ip)) return false;
    const seconds = limiter.retryAfterSeconds();
    const message = fill(messages(languageOf(request)).tooMany, { seconds: String(seconds) });
    reply.code(429).header("retry-after", String(seconds));
    if (wantsJson(request)) void reply.send({ error: "rate_limited", message });
    else {
      const context = contextOf(request, reply);
      void send(reply, context, context.t.errorTitle, errorBox(message), 429);
    }
    return true;
  };

  // ---------------------------------------------------------------- static files and base certificates

  app.get("/static/portal.css", async (_request, reply) => reply.type("text/css; charset=utf-8").header("cache-control", "public, max-age=3600").send(await portalStylesheet()));
  app.get("/static/portal.js", async (_request, reply) =>
    reply.type("text/javascript; charset=utf-8").header("cache-control", "public, max-age=3600").send(await browserBundle()),
  );
  const baseCertificates = { pki_rsa: issuing, root_rsa: root } as const;
  for (const [name, der] of Object.entries(baseCertificates)) {
    // application/x-x509-ca-cert makes browsers offer to import the CA (Firefox's trust dialog).
    app.get(`/certificates/${name}.cer`, async (_request, reply) =>
      reply.type("application/x-x509-ca-cert").header("content-disposition", `attachment; filename="${name}.cer"`).header("cache-control", "public, max-age=86400").send(der),
    );
    app.get(`/certificates/${name}.pem`, async (_request, reply) =>
      reply.type("application/x-x509-ca-cert").header("content-disposition", `attachment; filename="${name}.pem"`).header("cache-control", "public, max-age=86400").send(toPem("CERTIFICATE", der)),
    );
  }

  // ---------------------------------------------------------------- home, language, cabinet

  app.get("/", async (request, reply) => {
    const context = contextOf(request, reply);
    return send(reply, context, context.t.siteName, homePage(context, await portal.store.counters()));
  });
  app.get<{ Params: { language: string }; Querystring: { back?: string } }>("/lang/:language", async (request, reply) => {
    const { language } = request.params;
    if (isLanguage(language)) setCookie(reply, COOKIE.language, language, { secure, maxAgeSeconds: 365 * 86400 });
    const back = request.query.back ?? "/";
    // Only a path of this site: never an open redirect.
    return reply.redirect(/^\/(?![/\\])[\w\-/.]*$/.test(back) ? back : "/", 303);
  });
  app.get("/cabinet", async (request, reply) => {
    const context = contextOf(request, reply);
    return send(reply, context, context.t.cabinetTitle, cabinetPage(context));
  });

  // ---------------------------------------------------------------- applying

  app.get("/individuals", async (request, reply) => {
    const context = contextOf(request, reply);
    return send(reply, context, context.t.individualsTitle, individualsPage(context));
  });
  app.get("/apply", async (request, reply) => {
    const context = contextOf(request, reply);
    return send(reply, context, context.t.agreementTitle, agreementPage(context));
  });
  app.post<{ Body: Form }>("/apply", { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    if (request.body.agree !== "yes") {
      const context = contextOf(request, reply);
      return send(reply, context, context.t.agreementTitle, agreementPage(context, context.t.err_agreement), 422);
    }
    setCookie(reply, COOKIE.agreed, "yes", { secure, path: "/apply" });
    return reply.redirect("/apply/identity", 303);
  });

  const identity = async (request: FastifyRequest, reply: FastifyReply, values: { iin?: string }, error?: { message: string }, status = 200) => {
    const context = contextOf(request, reply);
    const captcha = await portal.enrollment.newCaptcha();
    return send(reply, context, context.t.identityTitle, identityPage(context, captcha, values, error), status);
  };
  app.get("/apply/identity", async (request, reply) => {
    if (readCookie(request, COOKIE.agreed) !== "yes") return reply.redirect("/apply", 303);
    return identity(request, reply, {});
  });
  app.post<{ Body: Form }>("/apply/identity", { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    if (limited(limiters.identity, request, reply)) return reply;
    const iin = (request.body.iin ?? "").trim().slice(0, LIMITS.iin);
    try {
      const checked = await portal.enrollment.checkIdentity({ captchaId: request.body.captchaId ?? "", captchaAnswer: request.body.captcha ?? "", iin });
      setCookie(reply, COOKIE.ticket, checked.ticket, { secure, path: "/apply", maxAgeSeconds: portal.enrollment.settings.checkedMinutes * 60 });
      return reply.redirect("/apply/details", 303);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return identity(request, reply, { iin }, { message: errorMessage(languageOf(request), error.code) }, error.code === "registry_unavailable" ? 503 : 422);
    }
  });

  /** The person behind a checked ticket, read again from the registry (never from the browser). */
  const ticketPerson = async (request: FastifyRequest) => {
    const ticket = readCookie(request, COOKIE.ticket);
    const checked = ticket ? await portal.enrollment.checkedTicket(ticket) : undefined;
    if (!ticket || !checked) return undefined;
    const person = await portal.registry.find(checked.iin);
    return person && { ticket, person, applicationNumber: checked.applicationNumber };
  };
  const details = async (request: FastifyRequest, reply: FastifyReply, values: DetailsValues, error?: string, status = 200) => {
    const found = await ticketPerson(request).catch(() => undefined);
    if (!found) return reply.redirect("/apply/identity", 303);
    const context = contextOf(request, reply);
    return send(reply, context, context.t.detailsTitle, detailsPage(context, found.person, found.applicationNumber, values, error), status, true);
  };
  app.get("/apply/details", async (request, reply) => details(request, reply, {}));

  app.post<{ Body: Form }>("/apply/submit", { bodyLimit: SUBMIT_BODY_LIMIT }, async (request, reply) => {
    if (limited(limiters.submit, request, reply)) return reply;
    const body = request.body ?? {};
    const field = (name: string) => (typeof body[name] === "string" ? body[name] : "");
    const values: DetailsValues = { email: field("email"), emailRepeat: field("emailRepeat"), region: field("region"), locality: field("locality"), center: field("center"), storage: field("storage") };
    const language = languageOf(request);
    try {
      if (!field("authCsr") || !field("signCsr") || !field("iin")) throw new InputError("missing", "required fields are missing");
      const submitted = await portal.enrollment.submit({
        ticket: readCookie(request, COOKIE.ticket) ?? "",
        iin: field("iin"),
        email: field("email"),
        emailRepeat: field("emailRepeat"),
        region: field("region"),
        locality: field("locality"),
        center: field("center"),
        storage: field("storage"),
        authCsr: field("authCsr"),
        signCsr: field("signCsr"),
        language,
      });
      portal.outbox.kick();
      setCookie(reply, COOKIE.ticket, "", { secure, path: "/apply", maxAgeSeconds: 0 });
      setCookie(reply, COOKIE.receipt, `${submitted.number}.${submitted.receipt}`, { secure, path: "/apply", maxAgeSeconds: 86400 });
      if (wantsJson(request)) return reply.send({ number: submitted.number, next: "/apply/done" });
      return reply.redirect("/apply/done", 303);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const status = error.code === "registry_unavailable" ? 503 : 422;
      if (wantsJson(request)) return reply.code(status).send({ error: error.code, message: errorMessage(language, error.code) });
      return details(request, reply, values, errorMessage(language, error.code), status);
    }
  });

  /** The application the submitting browser holds a receipt for. */
  const receiptApplication = async (request: FastifyRequest): Promise<Application | undefined> => {
    const [number, receipt] = (readCookie(request, COOKIE.receipt) ?? "").split(".");
    if (!number || !receipt) return undefined;
    const application = await portal.store.applicationByReceipt(receiptHash(receipt), number);
    return application?.person ? application : undefined;
  };
  app.get("/apply/done", async (request, reply) => {
    const application = await receiptApplication(request);
    if (!application) return reply.redirect("/status", 303);
    const context = contextOf(request, reply);
    return send(reply, context, context.t.doneTitle, donePage(context, application.number, application.deadlineAt, application.email));
  });
  const sendForm = async (reply: FastifyReply, application: Application, language: Language) =>
    reply
      .type("application/pdf")
      .header("content-disposition", `attachment; filename="application-${application.number}-${language}.pdf"`)
      .send(Buffer.from(await applicationFormPdf(application, language)));
  app.get<{ Querystring: { lang?: string } }>("/apply/form.pdf", async (request, reply) => {
    const application = await receiptApplication(request);
    if (!application) return reply.redirect("/status", 303);
    return sendForm(reply, application, isLanguage(request.query.lang) ? request.query.lang : languageOf(request));
  });

  // ---------------------------------------------------------------- status and installing

  /** Number and IIN, both required: a number alone reveals nothing. */
  const lookup = async (body: Form): Promise<Application> => {
    const number = parseApplicationNumber((body.number ?? "").slice(0, 32));
    if (!number) throw new InputError("bad_number", "not an application number");
    const iin = (body.iin ?? "").trim().slice(0, LIMITS.iin);
    const application = await portal.store.application(number);
    if (!application?.person || application.person.iin !== iin) throw new InputError("not_found", "no application with this number and IIN");
    return application;
  };
  app.get("/status", async (request, reply) => {
    const context = contextOf(request, reply);
    return send(reply, context, context.t.statusTitle, statusForm(context, {}));
  });
  app.post<{ Body: Form }>("/status", { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    if (limited(limiters.status, request, reply)) return reply;
    const context = contextOf(request, reply);
    try {
      const application = await lookup(request.body);
      let issued;
      if (application.authSerial && application.signSerial) {
        const certificates = await portal.lifecycle.certificates(application);
        issued = { authPem: certificates.auth, signPem: certificates.sign, chainPem: [toPem("CERTIFICATE", issuing), toPem("CERTIFICATE", root)], notAfter: certificates.notAfter };
      }
      return send(reply, context, context.t.statusTitle, statusResult(context, application, issued), 200, issued !== undefined);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const values = { number: (request.body.number ?? "").slice(0, 32), iin: (request.body.iin ?? "").slice(0, LIMITS.iin) };
      return send(reply, context, context.t.statusTitle, statusForm(context, values, errorMessage(context.language, error.code)), error.code === "not_found" ? 404 : 422);
    }
  });
  app.post<{ Body: Form }>("/status/form.pdf", { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    if (limited(limiters.status, request, reply)) return reply;
    try {
      const application = await lookup(request.body);
      return sendForm(reply, application, isLanguage(request.body.lang) ? request.body.lang : languageOf(request));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const context = contextOf(request, reply);
      return send(reply, context, context.t.statusTitle, statusForm(context, {}, errorMessage(context.language, error.code)), 404);
    }
  });
  app.post<{ Body: Form }>("/status/installed", { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    if (limited(limiters.status, request, reply)) return reply;
    const language = languageOf(request);
    try {
      const application = await lookup(request.body);
      await portal.lifecycle.markInstalled(application.number);
      return reply.send({ status: "installed", message: messages(language).installed });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return reply.code(422).send({ error: error.code, message: errorMessage(language, error.code === "bad_application_state" ? "not_issued" : error.code) });
    }
  });

  // ---------------------------------------------------------------- the demo's mail catcher

  if (portal.mail instanceof MailCatcher) {
    const catcher = portal.mail;
    app.get("/mail-catcher", async (request, reply) => {
      // It shows personal data: only to someone on this machine.
      if (!["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(request.ip)) return reply.code(404).send();
      const context = contextOf(request, reply);
      return send(reply, context, "Mail catcher", mailCatcherPage(catcher.messages));
    });
  }
}
