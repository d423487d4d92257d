import type { Person } from "../storage/portalStore.ts";
import { RegistryUnavailable, type PersonRegistry } from "./personRegistry.ts";

export interface HttpRegistryOptions {
  /** The registry's lookup endpoint: the portal POSTs {"iin": "…"} so the IIN stays out of URLs and access logs. */
  readonly url: string;
  /** Sent as the Authorization header (e.g. "Bearer …" or "Basic …"); never logged. */
  readonly authorization?: string;
  readonly timeoutMilliseconds?: number;
}

/**
 * A real person registry over HTTP: 200 with {iin, surname, givenName, patronymic?} is a person,
 * 404 is no such person; anything else (errors, timeouts, malformed answers) is an outage.
 */
export class HttpPersonRegistry implements PersonRegistry {
  constructor(private readonly options: HttpRegistryOptions) {}

  async find(iin: string): Promise<Person | undefined> {
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          ...(this.options.authorization ? { authorization: this.options.authorization } : {}),
        },
        body: JSON.stringify({ iin }),
        signal: AbortSignal.timeout(this.options.timeoutMilliseconds ?? 5000),
      });
    } catch (error) {
      throw new RegistryUnavailable(`the person registry did not answer: ${(error as Error).name}`);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new RegistryUnavailable(`the person registry answered HTTP ${response.status}`);
    }
    let body: { iin?: unknown; surname?: unknown; givenName?: unknown; patronymic?: unknown };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new RegistryUnavailable("the person registry sent a malformed answer");
    }
    if (
      body.iin !== iin ||
      typeof body.surname !== "string" ||
      typeof body.givenName !== "string" ||
      !body.surname ||
      !body.givenName
    ) {
      throw new RegistryUnavailable("the person registry sent a malformed answer");
    }
    return {
      iin,
      surname: body.surname,
      givenName: body.givenName,
      ...(typeof body.patronymic === "string" && body.patronymic ? { patronymic: body.patronymic } : {}),
    };
  }
}
