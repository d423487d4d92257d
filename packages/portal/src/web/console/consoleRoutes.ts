// The Registration Center console under /console: login through the agent, the work queue, the
// application view with signed decisions, the auditor's and administrator's pages. Every route
// but the login and enrolment ones needs a live session; each operation checks the role itself.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InputError } from "@qoltanba/pki";
import type { ConsoleSession } from "../../console/registrationConsole.ts";
import { Forbidden } from "../../console/roles.ts";
import { consoleErrorMessage, consoleMessages } from "../../i18n/console/index.ts";
import { fill } from "../../i18n/index.ts";
import { pageScriptRoute } from "../bundle.ts";
import { readCookie, setCookie } from "../cookies.ts";
import { html, type Html } from "../html.ts";
import type { Form, Site } from "../site.ts";
import { consoleLayout, type ConsoleContext, type Reopen } from "./consoleLayout.ts";
import {
  applicationPage,
  auditPage,
  enrolPage,
  loginPage,
  operatorsPage,
  queuePage,
} from "./consolePages.ts";

export const CONSOLE_COOKIE = "qconsole";
/** Carries an enrolment link's secret from /console/enrol to the application's submission. */
export const ENROL_COOKIE = "qenrol";

const text = (body: Form | undefined, name: string) => (typeof body?.[name] === "string" ? body[name]! : "");
const pathOf = (request: FastifyRequest) => request.url.split("?")[0]!;
/** The application's page, whichever of its forms was posted: a check is never recorded twice. */
const applicationView = (number: string): Reopen => ({ path: "/console/application", fields: { number } });

export function consoleRoutes(app: FastifyInstance, site: Site): void {
  const console = site.portal.console;

  /** A page reached by GET comes back by GET; after an action, the operator's start page. */
  const reopenOf = (request: FastifyRequest): Reopen => ({
    path: request.method === "GET" ? pathOf(request) : "/console/home",
  });
  const contextOf = (
    request: FastifyRequest,
    reply: FastifyReply,
    session?: ConsoleSession,
    reopen = reopenOf(request),
  ): ConsoleContext => {
    const { language, csrfToken, agentUrl } = site.contextOf(request, reply);
    return {
      language,
      t: consoleMessages(language),
      csrfToken,
      agentUrl,
      ...(session ? { operator: session.operator } : {}),
      reopen,
    };
  };
  const refusal = (request: FastifyRequest, code: string) => ({
    error: code,
    message: consoleErrorMessage(site.languageOf(request), code),
  });
  const send = (
    reply: FastifyReply,
    context: ConsoleContext,
    title: string,
    body: Html,
    status = 200,
    error?: string,
  ) =>
    reply
      .code(status)
      .type("text/html; charset=utf-8")
      .send(consoleLayout(context, title, body, error).text);

  /** The session, or a redirect to the login page (JSON callers get 401). */
  const sessionOf = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<ConsoleSession | undefined> => {
    const session = await console.session(readCookie(request, CONSOLE_COOKIE));
    if (session) return session;
    if (site.wantsJson(request)) void reply.code(401).send(refusal(request, "no_session"));
    else void reply.redirect("/console", 303);
    return undefined;
  };

  /**
   * Refusals as pages (or JSON) in the operator's language: 403 for roles and scope and signatures,
   * 422 for bad input. `reopen`: the page the refused request was for.
   */
  const refuse = (
    request: FastifyRequest,
    reply: FastifyReply,
    session: ConsoleSession | undefined,
    error: unknown,
    reopen?: Reopen,
  ) => {
    if (!(error instanceof InputError)) throw error;
    const status = error instanceof Forbidden || error.name === "SignatureRefused" ? 403 : 422;
    if (site.wantsJson(request)) return reply.code(status).send(refusal(request, error.code));
    const context = contextOf(request, reply, session, reopen);
    return send(
      reply,
      context,
      context.t.refusedTitle,
      html`<p><a href="/console/home">${context.t.back}</a></p>`,
      status,
      consoleErrorMessage(context.language, error.code),
    );
  };

  pageScriptRoute(app, "console");

  app.get("/console", async (request, reply) => {
    if (await console.session(readCookie(request, CONSOLE_COOKIE)))
      return reply.redirect("/console/home", 303);
    const context = contextOf(request, reply);
    return send(reply, context, context.t.loginTitle, loginPage(context));
  });

  app.post("/console/login/challenge", async (_request, reply) => {
    const challenge = await console.challenge();
    return reply.send({ data: challenge.data, document: challenge.document });
  });

  app.post<{ Body: { signature?: unknown } }>("/console/login", async (request, reply) => {
    try {
      const signature = typeof request.body?.signature === "string" ? request.body.signature : "";
      const { token, expiresAt } = await console.signIn(signature);
      setCookie(reply, CONSOLE_COOKIE, token, {
        secure: site.secure,
        path: "/console",
        maxAgeSeconds: Math.floor((expiresAt.getTime() - Date.now()) / 1000),
      });
      return reply.send({ next: "/console/home" });
    } catch (error) {
      return refuse(request, reply, undefined, error);
    }
  });

  app.post("/console/logout", async (request, reply) => {
    const token = readCookie(request, CONSOLE_COOKIE);
    if (token) await console.signOut(token);
    setCookie(reply, CONSOLE_COOKIE, "", { secure: site.secure, path: "/console", maxAgeSeconds: 0 });
    return reply.redirect("/console", 303);
  });

  app.get("/console/home", async (request, reply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    const role = session.operator.role;
    return reply.redirect(
      role === "auditor"
        ? "/console/audit"
        : role === "administrator"
          ? "/console/operators"
          : "/console/queue",
      303,
    );
  });

  const queue = async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    const body = request.body ?? {};
    const filter: Record<string, string> = {};
    for (const name of ["number", "iin", "name", "status", "from", "to"])
      if (text(body, name)) filter[name] = text(body, name);
    const after = text(body, "after");
    const reopen: Reopen =
      request.method === "GET"
        ? { path: "/console/queue" }
        : { path: "/console/queue", fields: { ...filter, ...(after ? { after } : {}) } };
    try {
      const { rows, next } = await console.search(session.operator, { ...filter, after });
      const context = contextOf(request, reply, session, reopen);
      return send(reply, context, context.t.queueTitle, queuePage(context, filter, rows, next));
    } catch (error) {
      return refuse(request, reply, session, error, reopen);
    }
  };
  app.get("/console/queue", queue);
  app.post<{ Body: Form }>("/console/queue", queue);

  const showApplication = async (
    request: FastifyRequest,
    reply: FastifyReply,
    session: ConsoleSession,
    number: string,
  ) => {
    const view = await console.view(session.operator, number.replace(/\s/g, ""));
    const context = contextOf(request, reply, session, applicationView(number));
    return send(
      reply,
      context,
      fill(context.t.applicationTitle, { number: view.application.number }),
      applicationPage(context, view),
    );
  };
  app.post<{ Body: Form }>("/console/application", async (request, reply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    const number = text(request.body, "number");
    try {
      return await showApplication(request, reply, session, number);
    } catch (error) {
      return refuse(request, reply, session, error, applicationView(number));
    }
  });
  app.post<{ Body: Form }>("/console/application/identity", async (request, reply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    const number = text(request.body, "number");
    try {
      await console.checkIdentity(session.operator, number, {
        type: text(request.body, "documentType"),
        number: text(request.body, "documentNumber"),
      });
      return await showApplication(request, reply, session, number);
    } catch (error) {
      return refuse(request, reply, session, error, applicationView(number));
    }
  });
  app.post<{ Body: Form }>("/console/application/reassign", async (request, reply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    const number = text(request.body, "number");
    try {
      await console.reassign(session.operator, number, text(request.body, "center"));
      return reply.redirect("/console/queue", 303);
    } catch (error) {
      return refuse(request, reply, session, error, applicationView(number));
    }
  });

  app.post<{ Body: Record<string, unknown> }>("/console/decisions/prepare", async (request, reply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    const field = (name: string) =>
      typeof request.body?.[name] === "string" ? (request.body[name] as string) : undefined;
    try {
      const prepared = await console.prepareDecision(session.operator, {
        kind: field("kind") as "confirm",
        application: field("application") ?? "",
        ...(field("reason") !== undefined ? { reason: field("reason")! } : {}),
        ...(field("certificate") !== undefined ? { certificate: field("certificate")! } : {}),
        ...(field("request") !== undefined ? { request: field("request")! } : {}),
      });
      return reply.send(prepared);
    } catch (error) {
      return refuse(request, reply, session, error);
    }
  });
  app.post<{ Body: { signature?: unknown } }>("/console/decisions", async (request, reply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    try {
      const signature = typeof request.body?.signature === "string" ? request.body.signature : "";
      const decision = await console.submitDecision(session.operator, signature);
      site.portal.outbox.kick();
      return reply.send({ id: decision.id, kind: decision.kind, outcome: decision.outcome });
    } catch (error) {
      return refuse(request, reply, session, error);
    }
  });

  const audit = async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    const id = text(request.body, "id");
    const reopen: Reopen =
      request.method === "GET"
        ? { path: "/console/audit" }
        : { path: "/console/audit/reverify", fields: { id } };
    try {
      const reverified =
        request.method === "POST" ? await console.reverify(session.operator, Number(id)) : undefined;
      const [decisions, entries, chain] = await Promise.all([
        console.decisionList(session.operator),
        console.auditLog(session.operator),
        console.verifyAudit(),
      ]);
      const context = contextOf(request, reply, session, reopen);
      return send(
        reply,
        context,
        context.t.auditTitle,
        auditPage(
          context,
          decisions,
          entries,
          { count: chain.count, problems: chain.problems.length },
          reverified,
        ),
      );
    } catch (error) {
      return refuse(request, reply, session, error, reopen);
    }
  };
  app.get("/console/audit", audit);
  app.post<{ Body: Form }>("/console/audit/reverify", audit);

  const operators = async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    // Never the POST: switching the language must not add the operator again.
    const reopen: Reopen = { path: "/console/operators" };
    try {
      if (session.operator.role !== "administrator")
        throw new Forbidden("only a CA administrator manages operators");
      let link: string | undefined;
      if (request.method === "POST") {
        const center = text(request.body, "center");
        const region = text(request.body, "region");
        ({ link } = await console.operators.add({
          iin: text(request.body, "iin"),
          role: text(request.body, "role"),
          ...(center ? { center } : {}),
          ...(region ? { region } : {}),
          createdBy: `operator:${session.operator.id}`,
          baseUrl: site.portal.options.baseUrl ?? `${request.protocol}://${request.host}`,
        }));
      }
      const context = contextOf(request, reply, session, reopen);
      return send(
        reply,
        context,
        context.t.operatorsTitle,
        operatorsPage(context, await site.portal.consoleStore.operators(), link),
      );
    } catch (error) {
      return refuse(request, reply, session, error, reopen);
    }
  };
  app.get("/console/operators", operators);
  app.post<{ Body: Form }>("/console/operators", operators);

  // The link's secret travels in the URL fragment, which browsers never send: the page's script
  // posts it here, so no server or proxy log ever holds a usable link.
  app.get("/console/enrol", async (request, reply) => {
    const context = contextOf(request, reply);
    return send(reply, context, context.t.enrolTitle, enrolPage(context));
  });
  app.post<{ Body: { token?: unknown } }>("/console/enrol", async (request, reply) => {
    const token = typeof request.body?.token === "string" ? request.body.token.slice(0, 64) : "";
    if (!(await console.operators.invitation(token)))
      return reply.code(403).send(refusal(request, "enrolment_used"));
    setCookie(reply, ENROL_COOKIE, token, { secure: site.secure, path: "/apply", maxAgeSeconds: 86_400 });
    return reply.send({ next: "/apply" });
  });
}
