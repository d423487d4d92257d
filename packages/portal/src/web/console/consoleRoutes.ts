// The Registration Center console under /console: login through the agent, the work queue, the
// application view with signed decisions, the auditor's and administrator's pages. Every route
// but the login and enrolment ones needs a live session; each operation checks the role itself.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InputError } from "@qoltanba/pki";
import type { ConsoleSession } from "../../console/registrationConsole.ts";
import { Forbidden } from "../../console/roles.ts";
import { pageScriptRoute } from "../bundle.ts";
import { readCookie, setCookie } from "../cookies.ts";
import { html, type Html } from "../html.ts";
import type { Form, Site } from "../site.ts";
import {
  applicationPage,
  auditPage,
  consoleLayout,
  enrolPage,
  loginPage,
  operatorsPage,
  queuePage,
  type ConsoleContext,
} from "./consolePages.ts";

export const CONSOLE_COOKIE = "qconsole";
/** Carries an enrolment link's secret from /console/enrol to the application's submission. */
export const ENROL_COOKIE = "qenrol";

const text = (body: Form | undefined, name: string) => (typeof body?.[name] === "string" ? body[name]! : "");

export function consoleRoutes(app: FastifyInstance, site: Site): void {
  const console = site.portal.console;

  const contextOf = (
    request: FastifyRequest,
    reply: FastifyReply,
    session?: ConsoleSession,
  ): ConsoleContext => {
    const page = site.contextOf(request, reply);
    return {
      csrfToken: page.csrfToken,
      agentUrl: page.agentUrl,
      ...(session ? { operator: session.operator } : {}),
    };
  };
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
    if (site.wantsJson(request)) void reply.code(401).send({ error: "no_session", message: "sign in again" });
    else void reply.redirect("/console", 303);
    return undefined;
  };

  /** Refusals as pages (or JSON): 403 for roles and scope and signatures, 422 for bad input. */
  const refuse = (
    request: FastifyRequest,
    reply: FastifyReply,
    session: ConsoleSession | undefined,
    error: unknown,
  ) => {
    if (!(error instanceof InputError)) throw error;
    const status = error instanceof Forbidden || error.name === "SignatureRefused" ? 403 : 422;
    if (site.wantsJson(request))
      return reply.code(status).send({ error: error.code, message: error.message });
    return send(
      reply,
      contextOf(request, reply, session),
      "Refused",
      consoleLayoutBack(),
      status,
      error.message,
    );
  };

  pageScriptRoute(app, "console");

  app.get("/console", async (request, reply) => {
    if (await console.session(readCookie(request, CONSOLE_COOKIE)))
      return reply.redirect("/console/home", 303);
    return send(reply, contextOf(request, reply), "Operator sign-in", loginPage());
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
    try {
      const { rows, next } = await console.search(session.operator, {
        ...filter,
        after: text(body, "after"),
      });
      return send(
        reply,
        contextOf(request, reply, session),
        "Work queue",
        queuePage(contextOf(request, reply, session), filter, rows, next),
      );
    } catch (error) {
      return refuse(request, reply, session, error);
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
    const context = contextOf(request, reply, session);
    return send(reply, context, `Application ${view.application.number}`, applicationPage(context, view));
  };
  app.post<{ Body: Form }>("/console/application", async (request, reply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    try {
      return await showApplication(request, reply, session, text(request.body, "number"));
    } catch (error) {
      return refuse(request, reply, session, error);
    }
  });
  app.post<{ Body: Form }>("/console/application/identity", async (request, reply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    try {
      const number = text(request.body, "number");
      await console.checkIdentity(session.operator, number, {
        type: text(request.body, "documentType"),
        number: text(request.body, "documentNumber"),
      });
      return await showApplication(request, reply, session, number);
    } catch (error) {
      return refuse(request, reply, session, error);
    }
  });
  app.post<{ Body: Form }>("/console/application/reassign", async (request, reply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
    try {
      await console.reassign(session.operator, text(request.body, "number"), text(request.body, "center"));
      return reply.redirect("/console/queue", 303);
    } catch (error) {
      return refuse(request, reply, session, error);
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
    try {
      const id = Number(text(request.body, "id"));
      const reverified = request.method === "POST" ? await console.reverify(session.operator, id) : undefined;
      const [decisions, entries, chain] = await Promise.all([
        console.decisionList(session.operator),
        console.auditLog(session.operator),
        console.verifyAudit(),
      ]);
      const context = contextOf(request, reply, session);
      return send(
        reply,
        context,
        "Audit",
        auditPage(
          context,
          decisions,
          entries,
          { count: chain.count, problems: chain.problems.length },
          reverified,
        ),
      );
    } catch (error) {
      return refuse(request, reply, session, error);
    }
  };
  app.get("/console/audit", audit);
  app.post<{ Body: Form }>("/console/audit/reverify", audit);

  const operators = async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply) => {
    const session = await sessionOf(request, reply);
    if (!session) return reply;
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
      const context = contextOf(request, reply, session);
      return send(
        reply,
        context,
        "Operators",
        operatorsPage(context, await site.portal.consoleStore.operators(), link),
      );
    } catch (error) {
      return refuse(request, reply, session, error);
    }
  };
  app.get("/console/operators", operators);
  app.post<{ Body: Form }>("/console/operators", operators);

  // The link's secret travels in the URL fragment, which browsers never send: the page's script
  // posts it here, so no server or proxy log ever holds a usable link.
  app.get("/console/enrol", async (request, reply) =>
    send(reply, contextOf(request, reply), "Operator enrolment", enrolPage()),
  );
  app.post<{ Body: { token?: unknown } }>("/console/enrol", async (request, reply) => {
    const token = typeof request.body?.token === "string" ? request.body.token.slice(0, 64) : "";
    if (!(await console.operators.invitation(token)))
      return reply
        .code(403)
        .send({ error: "enrolment_used", message: "this enrolment link was already used or has expired" });
    setCookie(reply, ENROL_COOKIE, token, { secure: site.secure, path: "/apply", maxAgeSeconds: 86_400 });
    return reply.send({ next: "/apply" });
  });
}

function consoleLayoutBack(): Html {
  return html`<p><a href="/console/home">Back</a></p>`;
}
