import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { CA_UNAVAILABLE } from "../../caClient.ts";
import { ENROL_COOKIE } from "../console/consoleRoutes.ts";
import { InputError } from "@qoltanba/pki";
import { LIMITS, receiptHash } from "../../enrollment/enrollment.ts";
import { errorMessage, isLanguage, type Language } from "../../i18n/index.ts";
import { applicationFormPdf } from "../../pdf/applicationForm.ts";
import type { Application } from "../../storage/portalStore.ts";
import { readCookie, setCookie } from "../cookies.ts";
import {
  agreementPage,
  detailsPage,
  donePage,
  identityPage,
  individualsPage,
  type DetailsValues,
} from "../pages/apply.ts";
import { COOKIE, FORM_BODY_LIMIT, SUBMIT_BODY_LIMIT, type Form, type Site } from "../site.ts";

/** The PDF form as a download. */
export const sendForm = async (reply: FastifyReply, application: Application, language: Language) =>
  reply
    .type("application/pdf")
    .header("content-disposition", `attachment; filename="application-${application.number}-${language}.pdf"`)
    .send(Buffer.from(await applicationFormPdf(application, language)));

/** «ЭЦҚ кілтін алу» → «Жеке тұлғалар» → agreement → captcha and IIN → details → submission → number and form. */
export function applyRoutes(app: FastifyInstance, site: Site): void {
  app.get("/individuals", async (request, reply) => {
    const context = site.contextOf(request, reply);
    return site.send(reply, context, context.t.individualsTitle, individualsPage(context));
  });
  app.get("/apply", async (request, reply) => {
    const context = site.contextOf(request, reply);
    return site.send(reply, context, context.t.agreementTitle, agreementPage(context));
  });
  app.post<{ Body: Form }>("/apply", { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    if (request.body.agree !== "yes") {
      const context = site.contextOf(request, reply);
      return site.send(
        reply,
        context,
        context.t.agreementTitle,
        agreementPage(context, context.t.err_agreement),
        422,
      );
    }
    setCookie(reply, COOKIE.agreed, "yes", { secure: site.secure, path: "/apply" });
    return reply.redirect("/apply/identity", 303);
  });

  const identity = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: { iin?: string },
    error?: { message: string },
    status = 200,
  ) => {
    const context = site.contextOf(request, reply);
    const captcha = await site.portal.enrollment.newCaptcha();
    return site.send(
      reply,
      context,
      context.t.identityTitle,
      identityPage(context, captcha, values, error),
      status,
    );
  };
  app.get("/apply/identity", async (request, reply) => {
    if (readCookie(request, COOKIE.agreed) !== "yes") return reply.redirect("/apply", 303);
    return identity(request, reply, {});
  });
  app.post<{ Body: Form }>("/apply/identity", { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    if (site.limited("identity", request, reply)) return reply;
    const iin = (request.body.iin ?? "").trim().slice(0, LIMITS.iin);
    try {
      const checked = await site.portal.enrollment.checkIdentity({
        captchaId: request.body.captchaId ?? "",
        captchaAnswer: request.body.captcha ?? "",
        iin,
      });
      setCookie(reply, COOKIE.ticket, checked.ticket, {
        secure: site.secure,
        path: "/apply",
        maxAgeSeconds: site.portal.enrollment.settings.checkedMinutes * 60,
      });
      return reply.redirect("/apply/details", 303);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return identity(
        request,
        reply,
        { iin },
        { message: errorMessage(site.languageOf(request), error.code) },
        error.code === "registry_unavailable" ? 503 : 422,
      );
    }
  });

  /** The person behind a checked ticket, read again from the registry (never from the browser). */
  const ticketPerson = async (request: FastifyRequest) => {
    const ticket = readCookie(request, COOKIE.ticket);
    const checked = ticket ? await site.portal.enrollment.checkedTicket(ticket) : undefined;
    if (!ticket || !checked) return undefined;
    const person = await site.portal.registry.find(checked.iin);
    return person && { ticket, person, applicationNumber: checked.applicationNumber };
  };
  const details = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: DetailsValues,
    error?: string,
    status = 200,
  ) => {
    const found = await ticketPerson(request).catch(() => undefined);
    if (!found) return reply.redirect("/apply/identity", 303);
    const context = site.contextOf(request, reply);
    return site.send(
      reply,
      context,
      context.t.detailsTitle,
      detailsPage(context, found.person, found.applicationNumber, values, error),
      status,
      true,
    );
  };
  app.get("/apply/details", async (request, reply) => details(request, reply, {}));

  app.post<{ Body: Form }>("/apply/submit", { bodyLimit: SUBMIT_BODY_LIMIT }, async (request, reply) => {
    if (site.limited("submit", request, reply)) return reply;
    const body = request.body ?? {};
    const field = (name: string) => (typeof body[name] === "string" ? body[name] : "");
    const values: DetailsValues = {
      email: field("email"),
      emailRepeat: field("emailRepeat"),
      region: field("region"),
      locality: field("locality"),
      center: field("center"),
      storage: field("storage"),
    };
    const language = site.languageOf(request);
    try {
      if (!field("authCsr") || !field("signCsr") || !field("iin"))
        throw new InputError("missing", "required fields are missing");
      const submitted = await site.portal.enrollment.submit({
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
      const enrolment = readCookie(request, ENROL_COOKIE);
      if (enrolment) {
        // An operator applying through their enrolment link: confirmed and issued at once, bound to the role.
        await site.portal.console.operators.enrol(enrolment, (await site.portal.store.application(submitted.number))!);
        setCookie(reply, ENROL_COOKIE, "", { secure: site.secure, path: "/apply", maxAgeSeconds: 0 });
      }
      site.portal.outbox.kick();
      setCookie(reply, COOKIE.ticket, "", { secure: site.secure, path: "/apply", maxAgeSeconds: 0 });
      setCookie(reply, COOKIE.receipt, `${submitted.number}.${submitted.receipt}`, {
        secure: site.secure,
        path: "/apply",
        maxAgeSeconds: 86400,
      });
      if (site.wantsJson(request)) return reply.send({ number: submitted.number, next: "/apply/done" });
      return reply.redirect("/apply/done", 303);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const status = error.code === "registry_unavailable" || error.code === CA_UNAVAILABLE ? 503 : 422;
      if (site.wantsJson(request))
        return reply.code(status).send({ error: error.code, message: errorMessage(language, error.code) });
      return details(request, reply, values, errorMessage(language, error.code), status);
    }
  });

  /** The application the submitting browser holds a receipt for. */
  const receiptApplication = async (request: FastifyRequest): Promise<Application | undefined> => {
    const [number, receipt] = (readCookie(request, COOKIE.receipt) ?? "").split(".");
    if (!number || !receipt) return undefined;
    const application = await site.portal.store.applicationByReceipt(receiptHash(receipt), number);
    return application?.person ? application : undefined;
  };
  app.get("/apply/done", async (request, reply) => {
    const application = await receiptApplication(request);
    if (!application) return reply.redirect("/status", 303);
    const context = site.contextOf(request, reply);
    return site.send(
      reply,
      context,
      context.t.doneTitle,
      donePage(context, application.number, application.deadlineAt, application.email),
    );
  });
  app.get<{ Querystring: { lang?: string } }>("/apply/form.pdf", async (request, reply) => {
    const application = await receiptApplication(request);
    if (!application) return reply.redirect("/status", 303);
    return sendForm(
      reply,
      application,
      isLanguage(request.query.lang) ? request.query.lang : site.languageOf(request),
    );
  });
}
