import { Agent, request as httpsRequest } from "node:https";
import { InputError } from "@qoltanba/pki";
import { CA_API_LIMITS, CA_API_PATHS, certificateFromWire, type CaApiCall, type CaApiError, type WireCertificate } from "./caApiProtocol.ts";
import { CA_UNAVAILABLE, type CaClient } from "./caClient.ts";

export interface RemoteCaClientOptions {
  /** The signer node's CA API, https://HOST:PORT. */
  readonly url: string;
  /** This portal node's credentials, PEM (qoltanba ca api-credentials --client). */
  readonly clientCertificate: string;
  readonly clientKey: string;
  /** The internal CA that certified the CA API server. */
  readonly caTrust: string;
  /** The root and the issuing CA (DER), from this node's copy of the CA folder: caCertificates() is synchronous. */
  readonly caCertificates: { readonly root: Buffer; readonly issuing: Buffer };
  /** How long a call may wait for the CA before the person is told to try later; default 20 s. */
  readonly timeoutMilliseconds?: number;
  /** Where the cause of an unreachable CA is told (the person only sees "try later"). */
  readonly log?: (line: string) => void;
}

/** Calls that change nothing: one that met a kept-alive connection the CA had just closed is sent again. */
const READS: ReadonlySet<CaApiCall> = new Set(["firstCertificateOfKey", "certificate", "caCertificates"]);

/**
 * The CaClient of a portal node without the issuing key: asks a signer node's CA API over mutual
 * TLS, on kept-alive connections. The CA's refusals come back as the same InputError (code and
 * message) as in-process; a CA that cannot be reached, is too slow or fails is an InputError
 * `ca_unavailable` ("try again later"), which the pages show like any refusal.
 */
export function remoteCaClient(options: RemoteCaClientOptions): CaClient & { close(): void } {
  const base = new URL(options.url);
  if (base.protocol !== "https:") throw new InputError("bad_setting", `the CA API URL must be https://HOST:PORT, got ${options.url}`);
  const timeout = options.timeoutMilliseconds ?? 20_000;
  const agent = new Agent({
    keepAlive: true,
    // Idle connections close before the server's keep-alive timeout (72 s) would close them under a request.
    timeout: 30_000,
    maxSockets: 16,
    cert: options.clientCertificate,
    key: options.clientKey,
    ca: options.caTrust,
    minVersion: "TLSv1.2",
  });

  const unavailable = (call: CaApiCall, cause: string) => {
    options.log?.(`the CA API (${base.origin}) did not answer ${call}: ${cause}`);
    return new InputError(CA_UNAVAILABLE, "the CA cannot be reached right now; please try again later");
  };

  const send = (call: CaApiCall, body: unknown) =>
    new Promise<{ status: number; text: string; reusedSocket: boolean }>((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const request = httpsRequest(new URL(CA_API_PATHS[call], base), {
        method: "POST",
        agent,
        timeout,
        headers: { accept: "application/json", ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}) },
      });
      request.on("timeout", () => request.destroy(new Error(`no answer within ${timeout} ms`)));
      request.on("error", (error) => reject(Object.assign(error, { reusedSocket: request.reusedSocket })));
      request.on("response", (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > CA_API_LIMITS.responseBytes) request.destroy(new Error(`an answer over ${CA_API_LIMITS.responseBytes} bytes`));
          else chunks.push(chunk);
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8"), reusedSocket: request.reusedSocket }));
        response.on("error", reject);
      });
      request.end(payload);
    });

  async function call<T>(name: CaApiCall, body?: unknown, retried = false): Promise<T> {
    let answer;
    try {
      answer = await send(name, body);
    } catch (error) {
      const { code, reusedSocket } = error as NodeJS.ErrnoException & { reusedSocket?: boolean };
      if (reusedSocket && code === "ECONNRESET" && READS.has(name) && !retried) return call(name, body, true);
      throw unavailable(name, (error as Error).message);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      throw unavailable(name, `HTTP ${answer.status} with a body that is not JSON`);
    }
    if (answer.status === 200) return parsed as T;
    const refusal = parsed as Partial<CaApiError>;
    if (answer.status < 500 && typeof refusal.error === "string" && typeof refusal.message === "string")
      throw new InputError(refusal.error, refusal.message);
    throw unavailable(name, `HTTP ${answer.status}: ${typeof refusal.message === "string" ? refusal.message : answer.text.slice(0, 200)}`);
  }

  return {
    async issueCertificate(request) {
      const { serial, certificate, notBefore, notAfter } = certificateFromWire(await call<WireCertificate>("issueCertificate", request));
      return { serial, certificate, notBefore, notAfter };
    },
    async firstCertificateOfKey(spkiSha256) {
      const { serial } = await call<{ serial: string | null }>("firstCertificateOfKey", { spkiSha256 });
      return serial ?? undefined;
    },
    async certificate(serial) {
      const { certificate } = await call<{ certificate: WireCertificate | null }>("certificate", { serial });
      return certificate ? certificateFromWire(certificate) : undefined;
    },
    async revoke(serial, reason) {
      await call("revoke", { serial, reason });
    },
    caCertificates: () => options.caCertificates,
    close: () => agent.destroy(),
  };
}
