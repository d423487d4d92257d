import type { FastifyInstance } from "fastify";
import { InputError, toPem } from "@qoltanba/pki";
import { parseApplicationNumber } from "../../enrollment/applicationNumber.ts";
import { LIMITS } from "../../enrollment/enrollment.ts";
import { errorMessage, isLanguage, messages } from "../../i18n/index.ts";
import type { Application } from "../../storage/portalStore.ts";
import { statusForm, statusResult } from "../pages/status.ts";
import { FORM_BODY_LIMIT, type Form, type Site } from "../site.ts";
import { sendForm } from "./applyRoutes.ts";

/** «Берілген өтінімнің мәртебесі»: number and IIN → the stage, the certificates, installing them. */
export function statusRoutes(app: FastifyInstance, site: Site): void {
  const { root, issuing } = site.portal.ca.caCertificates();

  /** Number and IIN, both required: a number alone reveals nothing. */
  const lookup = async (body: Form): Promise<Application> => {
    const number = parseApplicationNumber((body.number ?? "").slice(0, 32));
    if (!number) throw new InputError("bad_number", "not an application number");
    const iin = (body.iin ?? "").trim().slice(0, LIMITS.iin);
    const application = await site.portal.store.application(number);
    if (!application?.person || application.person.iin !== iin)
      throw new InputError("not_found", "no application with this number and IIN");
    return application;
  };
  app.get("/status", async (request, reply) => {
    const context = site.contextOf(request, reply);
    return site.send(reply, context, context.t.statusTitle, statusForm(context, {}));
  });
  app.post<{ Body: Form }>("/status", { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    if (site.limited("status", request, reply)) return reply;
    const context = site.contextOf(request, reply);
    try {
      const application = await lookup(request.body);
      let issued;
      if (application.authSerial && application.signSerial) {
        const certificates = await site.portal.lifecycle.certificates(application);
        issued = {
          authPem: certificates.auth,
          signPem: certificates.sign,
          chainPem: [toPem("CERTIFICATE", issuing), toPem("CERTIFICATE", root)],
          notAfter: certificates.notAfter,
        };
      }
      return site.send(
        reply,
        context,
        context.t.statusTitle,
        statusResult(context, application, issued),
        200,
        issued !== undefined,
      );
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const values = {
        number: (request.body.number ?? "").slice(0, 32),
        iin: (request.body.iin ?? "").slice(0, LIMITS.iin),
      };
      return site.send(
        reply,
        context,
        context.t.statusTitle,
        statusForm(context, values, errorMessage(context.language, error.code)),
        error.code === "not_found" ? 404 : 422,
      );
    }
  });
  app.post<{ Body: Form }>("/status/form.pdf", { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    if (site.limited("status", request, reply)) return reply;
    try {
      const application = await lookup(request.body);
      return sendForm(
        reply,
        application,
        isLanguage(request.body.lang) ? request.body.lang : site.languageOf(request),
      );
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const context = site.contextOf(request, reply);
      return site.send(
        reply,
        context,
        context.t.statusTitle,
        statusForm(context, {}, errorMessage(context.language, error.code)),
        404,
      );
    }
  });
  app.post<{ Body: Form }>("/status/installed", { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    if (site.limited("status", request, reply)) return reply;
    const language = site.languageOf(request);
    try {
      const application = await lookup(request.body);
      await site.portal.lifecycle.markInstalled(application.number);
      return reply.send({ status: "installed", message: messages(language).installed });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return reply
        .code(422)
        .send({
          error: error.code,
          message: errorMessage(language, error.code === "bad_application_state" ? "not_issued" : error.code),
        });
    }
  });
}
