// The personal cabinet under /cabinet: login through the agent, the person's certificates and
// applications, downloads, signed revocation and signed renewal. Its session cookie is its own
// (path /cabinet), apart from the console's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InputError, toPem } from "@qoltanba/pki";
import type { CabinetSession } from "../../cabinet/personalCabinet.ts";
import { messages } from "../../i18n/index.ts";
import { pageScriptRoute } from "../bundle.ts";
import { readCookie, setCookie } from "../cookies.ts";
import type { Site } from "../site.ts";
import { cabinetHomePage, cabinetLoginPage } from "./cabinetPages.ts";

export const CABINET_COOKIE = "qcabinet";
const CABINET_BODY_LIMIT = 48 * 1024;

type JsonBody = Record<string, unknown> | undefined;
const field = (body: JsonBody, name: string) =>
  typeof body?.[name] === "string" ? (body[name] as string) : "";

export function cabinetRoutes(app: FastifyInstance, site: Site): void {
  const cabinet = site.portal.cabinet;

  const sessionOf = (request: FastifyRequest) => cabinet.session(readCookie(request, CABINET_COOKIE));

  /** The person's language for a refusal; the server's own words when the catalog has none. */
  const refuse = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    if (!(error instanceof InputError)) throw error;
    const catalog = messages(site.languageOf(request)) as unknown as Record<string, string>;
    const status = error.name === "SignatureRefused" ? 403 : 422;
    return reply
      .code(status)
      .send({ error: error.code, message: catalog[`err_${error.code}`] ?? error.message });
  };

  /** A JSON route that needs a live cabinet session. */
  const withSession =
    (handler: (session: CabinetSession, body: JsonBody, reply: FastifyReply) => Promise<unknown>) =>
    async (request: FastifyRequest<{ Body: JsonBody }>, reply: FastifyReply) => {
      const session = await sessionOf(request);
      if (!session) return reply.code(401).send({ error: "no_session", message: "sign in again" });
      try {
        return await handler(session, request.body, reply);
      } catch (error) {
        return refuse(request, reply, error);
      }
    };

  pageScriptRoute(app, "cabinet");

  app.get("/cabinet", async (request, reply) => {
    const context = site.contextOf(request, reply);
    const session = await sessionOf(request);
    if (!session) return site.send(reply, context, context.t.cabinetTitle, cabinetLoginPage(context));
    const [certificates, applications, signer] = await Promise.all([
      cabinet.certificates(session),
      cabinet.applications(session),
      cabinet.signer(session),
    ]);
    const person = applications.find((application) => application.person)?.person;
    const name = person
      ? [person.surname, person.givenName, person.patronymic].filter(Boolean).join(" ")
      : "";
    return site.send(
      reply,
      context,
      context.t.cabinetTitle,
      cabinetHomePage(context, {
        iin: session.iin,
        name,
        certificates,
        applications,
        canRenew: signer !== undefined,
      }),
    );
  });

  app.post("/cabinet/login/challenge", async (_request, reply) => {
    const challenge = await cabinet.challenge();
    return reply.send({ data: challenge.data, document: challenge.document });
  });
  app.post<{ Body: JsonBody }>("/cabinet/login", async (request, reply) => {
    try {
      const { token, expiresAt } = await cabinet.signIn(field(request.body, "signature"));
      setCookie(reply, CABINET_COOKIE, token, {
        secure: site.secure,
        path: "/cabinet",
        maxAgeSeconds: Math.floor((expiresAt.getTime() - Date.now()) / 1000),
      });
      return reply.send({ next: "/cabinet" });
    } catch (error) {
      return refuse(request, reply, error);
    }
  });
  app.post("/cabinet/logout", async (request, reply) => {
    const token = readCookie(request, CABINET_COOKIE);
    if (token) await cabinet.signOut(token);
    setCookie(reply, CABINET_COOKIE, "", { secure: site.secure, path: "/cabinet", maxAgeSeconds: 0 });
    return reply.redirect("/cabinet", 303);
  });

  app.get<{ Params: { serial: string; format: string } }>(
    "/cabinet/certificates/:serial.:format",
    async (request, reply) => {
      const session = await sessionOf(request);
      if (!session) return reply.redirect("/cabinet", 303);
      const { serial, format } = request.params;
      if (format !== "cer" && format !== "pem") return reply.code(404).send();
      try {
        const { certificate } = await cabinet.certificate(session, serial);
        return reply
          .type(format === "cer" ? "application/pkix-cert" : "application/x-pem-file")
          .header("content-disposition", `attachment; filename="${serial}.${format}"`)
          .header("cache-control", "no-store")
          .send(format === "cer" ? certificate : toPem("CERTIFICATE", certificate));
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        return site.error(request, reply, 404, "generic");
      }
    },
  );

  app.post<{ Body: JsonBody }>(
    "/cabinet/revocation/prepare",
    withSession(async (session, body, reply) =>
      reply.send(
        await cabinet.prepareRevocation(session, {
          serial: field(body, "serial"),
          reason: field(body, "reason"),
        }),
      ),
    ),
  );
  app.post<{ Body: JsonBody }>(
    "/cabinet/revocation",
    withSession(async (session, body, reply) => {
      const action = await cabinet.submitRevocation(session, field(body, "signature"));
      return reply.send({ id: action.id, outcome: action.outcome });
    }),
  );
  app.post<{ Body: JsonBody }>(
    "/cabinet/renewal/start",
    withSession(async (_session, _body, reply) => reply.send({ number: cabinet.renewalNumber() })),
  );
  const keys = (body: JsonBody) => ({ authCsr: field(body, "authCsr"), signCsr: field(body, "signCsr") });
  app.post<{ Body: JsonBody }>(
    "/cabinet/renewal/prepare",
    { bodyLimit: CABINET_BODY_LIMIT },
    withSession(async (session, body, reply) =>
      reply.send(
        await cabinet.prepareRenewal(session, {
          number: field(body, "number"),
          storage: field(body, "storage"),
          ...keys(body),
        }),
      ),
    ),
  );
  app.post<{ Body: JsonBody }>(
    "/cabinet/renewal",
    { bodyLimit: CABINET_BODY_LIMIT },
    withSession(async (session, body, reply) => {
      const { number } = await cabinet.submitRenewal(session, field(body, "signature"), keys(body));
      site.portal.outbox.kick();
      return reply.send({ number });
    }),
  );
}
