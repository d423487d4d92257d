// The CA API's routes: each is one CaClient method (packages/portal/src/caApiProtocol.ts) answered
// by the CA's own in-process client. Input is checked by JSON schema before anything runs (400
// naming the field); the CA's refusals travel back as their InputError code and message (422);
// every call is logged with the calling node, and those that change something are also recorded
// in the CA's audit chain with the node's certificate subject.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InputError } from "@qoltanba/pki";
import { CA_API_LIMITS, CA_API_PATHS, certificateToWire, type CaApiCall, type CaApiError, type CaClient, type CaIssueRequest } from "@qoltanba/portal";

/** The portal node behind a request: its name in the allow-list and its certificate's subject. */
export interface CaApiCaller {
  readonly name: string;
  readonly subject: string;
}

export interface CaApiRoutesOptions {
  readonly ca: CaClient;
  /** The calling node, or undefined when its certificate is not (or no longer) in the allow-list. */
  readonly caller: (request: FastifyRequest) => CaApiCaller | undefined;
  /** Appends a change made for a node to the CA's audit chain. */
  readonly audit: (details: Record<string, string>) => Promise<void>;
}

const serial = { type: "string", pattern: "^[0-9a-fA-F]{1,64}$" } as const;

const BODIES: Record<CaApiCall, object | undefined> = {
  issueCertificate: {
    type: "object",
    required: ["csr", "profile", "subject", "storage"],
    additionalProperties: false,
    properties: {
      csr: { type: "string", minLength: 1, maxLength: CA_API_LIMITS.csrCharacters },
      profile: { enum: ["individual-auth", "individual-sign"] },
      subject: {
        type: "object",
        maxProperties: CA_API_LIMITS.subjectFields,
        additionalProperties: { type: "string", maxLength: CA_API_LIMITS.subjectValueCharacters },
      },
      storage: { enum: ["file", "token"] },
    },
  },
  firstCertificateOfKey: {
    type: "object",
    required: ["spkiSha256"],
    additionalProperties: false,
    properties: { spkiSha256: { type: "string", pattern: "^[0-9a-f]{64}$" } },
  },
  certificate: { type: "object", required: ["serial"], additionalProperties: false, properties: { serial } },
  revoke: {
    type: "object",
    required: ["serial", "reason"],
    additionalProperties: false,
    properties: { serial, reason: { type: "string", minLength: 1, maxLength: 32 } },
  },
  caCertificates: undefined,
};

export function caApiRoutes(app: FastifyInstance, options: CaApiRoutesOptions): void {
  const { ca, audit } = options;
  const refuse = (reply: FastifyReply, status: number, error: CaApiError) => reply.code(status).send(error);

  app.setErrorHandler(async (error: Error & { statusCode?: number; validation?: unknown; code?: string }, request, reply) => {
    if (error.validation) return refuse(reply, 400, { error: "bad_request", message: error.message });
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return refuse(reply, 413, { error: "too_large", message: `a request is at most ${CA_API_LIMITS.requestBytes} bytes` });
    if (error instanceof InputError) return refuse(reply, 422, { error: error.code, message: error.message });
    if (error.statusCode && error.statusCode < 500) return refuse(reply, error.statusCode, { error: "bad_request", message: error.message });
    request.log.error({ err: { type: error.name, message: error.message, stack: error.stack } }, "CA API call failed");
    return refuse(reply, 500, { error: "internal", message: "the CA failed to answer; see its log" });
  });

  const route = <Body>(call: CaApiCall, answer: (body: Body, caller: CaApiCaller) => Promise<unknown>) =>
    app.post<{ Body: Body }>(CA_API_PATHS[call], BODIES[call] ? { schema: { body: BODIES[call] } } : {}, async (request, reply) => {
      const caller = options.caller(request);
      if (!caller) return refuse(reply, 403, { error: "node_not_allowed", message: "this portal node's certificate is not in the CA's list of portal nodes" });
      try {
        const result = await answer(request.body as Body, caller);
        request.log.info({ node: caller.name, subject: caller.subject, call, status: 200 }, "CA API call");
        return reply.send(result);
      } catch (error) {
        request.log.info({ node: caller.name, subject: caller.subject, call, refused: (error as InputError).code ?? "internal" }, "CA API call refused");
        throw error;
      }
    });

  route<CaIssueRequest>("issueCertificate", async (request, caller) => {
    const issued = await ca.issueCertificate(request);
    await audit({ call: "issueCertificate", node: caller.subject, serial: issued.serial, profile: request.profile });
    return certificateToWire(issued);
  });
  route<{ spkiSha256: string }>("firstCertificateOfKey", async ({ spkiSha256 }) => ({ serial: (await ca.firstCertificateOfKey(spkiSha256)) ?? null }));
  route<{ serial: string }>("certificate", async ({ serial }) => {
    const record = await ca.certificate(serial.toLowerCase());
    return { certificate: record ? certificateToWire(record) : null };
  });
  route<{ serial: string; reason: string }>("revoke", async ({ serial, reason }, caller) => {
    await ca.revoke(serial, reason);
    await audit({ call: "revoke", node: caller.subject, serial: serial.toLowerCase(), reason });
    return {};
  });
  route("caCertificates", async () => {
    const { root, issuing } = ca.caCertificates();
    return { root: root.toString("base64"), issuing: issuing.toString("base64") };
  });
}
