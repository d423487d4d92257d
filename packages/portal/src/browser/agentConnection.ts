// The page's side of the NCALayer protocol: one WebSocket to the local agent, one request at a
// time, answered in order (docs/agent-protocol.md). The message shapes are the agent's own.
import {
  HEARTBEAT,
  MODULES,
  type BasicsReply,
  type CommonUtilsReply,
  type GenerateCsrArgs,
  type GenerateCsrResult,
  type Greeting,
  type ImportCertificateArgs,
  type ImportCertificateResult,
  type ModuleRequest,
} from "@qoltanba/agent/protocol";

/** The portal names the agent's URL in a meta tag (wss://127.0.0.1:13579/ unless configured). */
export const agentUrl = () =>
  document.querySelector<HTMLMetaElement>('meta[name="agent-url"]')?.content ?? "wss://127.0.0.1:13579/";

export class AgentUnavailable extends Error {
  override name = "AgentUnavailable";
}

export class AgentConnection {
  private queue: Promise<unknown> = Promise.resolve();
  private waiting: ((message: unknown) => void) | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", (event) => {
      if (event.data === HEARTBEAT) return;
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve?.(JSON.parse(String(event.data)));
    });
    socket.addEventListener("close", () => {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve?.(new AgentUnavailable("the agent closed the connection"));
    });
  }

  /** Connects and waits for the agent's greeting ({"result":{"version":…}}); a silent agent is unavailable. */
  static connect(url = agentUrl(), timeoutMilliseconds = 4000): Promise<AgentConnection> {
    return new Promise((resolve, reject) => {
      let socket: WebSocket;
      try {
        socket = new WebSocket(url);
      } catch (error) {
        reject(new AgentUnavailable(String(error)));
        return;
      }
      const timer = setTimeout(() => {
        socket.close();
        reject(new AgentUnavailable("the agent did not answer"));
      }, timeoutMilliseconds);
      socket.addEventListener("error", () => {
        clearTimeout(timer);
        reject(new AgentUnavailable("no connection to the agent"));
      });
      socket.addEventListener(
        "message",
        (event) => {
          clearTimeout(timer);
          const greeting = JSON.parse(String(event.data)) as Partial<Greeting>;
          if (greeting.result?.version) resolve(new AgentConnection(socket));
          else reject(new AgentUnavailable("this is not an NCALayer-compatible agent"));
        },
        { once: true },
      );
    });
  }

  /** Sends one request and resolves with its answer (requests wait for the one before). */
  request<T>(message: ModuleRequest): Promise<T> {
    const next = this.queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          this.waiting = (answer) =>
            answer instanceof AgentUnavailable ? reject(answer) : resolve(answer as T);
          this.socket.send(JSON.stringify(message));
        }),
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.socket.close();
  }
}

/** basics' three outcomes: a result, the person cancelled, or an error with a stable code. */
export type BasicsOutcome<T> = { result: T } | { cancelled: true } | { error: string };

export async function basics<T>(
  agent: AgentConnection,
  method: string,
  args: object,
): Promise<BasicsOutcome<T>> {
  const reply = await agent.request<BasicsReply<T>>({ module: "kz.gov.pki.knca.basics", method, args });
  if (!reply.status)
    return { error: [reply.code, reply.details || reply.message].filter(Boolean).join(": ") };
  if (reply.body?.result === undefined) return { cancelled: true };
  return { result: reply.body.result };
}

export async function activeTokens(agent: AgentConnection): Promise<string[]> {
  const reply = await agent.request<CommonUtilsReply<string[]>>({ module: MODULES.commonUtils, method: "getActiveTokens" });
  return reply.code === "200" && Array.isArray(reply.responseObject) ? reply.responseObject : [];
}

/** New AUTH and SIGN keys in the storage the person chose (the agent refuses the storages it cannot use yet). */
export function generateCsr(agent: AgentConnection, args: Omit<GenerateCsrArgs, "storage"> & { storage: string }) {
  return basics<GenerateCsrResult>(agent, "generateCsr", args);
}

export function importCertificate(agent: AgentConnection, args: ImportCertificateArgs) {
  return basics<ImportCertificateResult>(agent, "importCertificate", args);
}

/** The EKUs that pick a person's keys: AUTH logs in, SIGN signs documents. */
export const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
export const EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4";

/** One CMS over `data` (base64) by a key with `eku` (and this serial, when given); undefined if cancelled. */
export async function signWithAgent(data: string, eku: string, serialNumber?: string): Promise<string | undefined> {
  const agent = await AgentConnection.connect();
  try {
    const outcome = await basics<string | string[]>(agent, "sign", {
      allowedStorages: null,
      format: "cms",
      data,
      signingParams: { decode: true, encapsulate: true, digested: false },
      signerParams: { extKeyUsageOids: [eku], ...(serialNumber ? { serialNumber } : {}) },
      locale: "en",
    });
    if ("error" in outcome) throw new Error(outcome.error);
    if ("cancelled" in outcome) return undefined;
    return Array.isArray(outcome.result) ? outcome.result[0] : outcome.result;
  } finally {
    agent.close();
  }
}
