// Where a token's PIN comes from: the agent's own dialog, or the unattended file. A PIN the token
// refused is never sent again by the agent itself: the person may type another (the token counts
// the tries and says how many are left), and a refused unattended PIN is not tried again until
// the agent restarts, so no loop of automatic attempts can lock a token.
import type { Handle, PKCS11 } from "pkcs11js";
import { InputError, pinStateText, type PinState } from "@qoltanba/pki";
import type { Dialogs, RequestSummary } from "../dialogs/dialogs.ts";
import { PinRefusedError } from "./pkcs11Library.ts";
import type { DetectedToken } from "./tokenRegistry.ts";

export type LoggedInOperation<T> = (lib: PKCS11, session: Handle) => Promise<T> | T;

export interface TokenPins {
  /**
   * Logs in to the token and runs `operation` in that session; returns the PIN with the result so
   * that the request's further signatures log in again. Undefined: the person cancelled (or the
   * unattended file holds no PIN for this store).
   */
  unlocked<T>(
    token: DetectedToken,
    request: RequestSummary,
    operation: LoggedInOperation<T>,
  ): Promise<{ pin: string; result: T } | undefined>;
}

/** PIN prompts per request; each one is the person's own try. */
const PROMPTS_PER_REQUEST = 3;

const describe = (token: DetectedToken) => `${token.profile.title} "${token.label}"`;

function refusal(token: DetectedToken, state: PinState, extra = ""): InputError {
  const left = pinStateText(state);
  return new InputError(
    state === "locked" ? "pin_locked" : "wrong_pin",
    state === "locked"
      ? `the PIN of ${describe(token)} is locked; unlock it with the PUK in the token vendor's tool`
      : `wrong PIN for ${describe(token)}${left ? `: ${left}` : ""}${extra}`,
  );
}

export class DialogTokenPins implements TokenPins {
  constructor(private readonly dialogs: Dialogs) {}

  async unlocked<T>(token: DetectedToken, request: RequestSummary, operation: LoggedInOperation<T>) {
    let warning: string | undefined;
    for (let prompt = 0; prompt < PROMPTS_PER_REQUEST; prompt++) {
      if (token.pinState === "locked" && prompt === 0) throw refusal(token, "locked");
      const pin = await this.dialogs.askPassword({
        request,
        target: describe(token),
        failedAttempts: prompt,
        pin: true,
        ...(warning ? { warning } : {}),
      });
      if (pin === undefined) return undefined;
      try {
        return { pin, result: await token.pkcs11.withSession(token, pin, operation) };
      } catch (error) {
        if (!(error instanceof PinRefusedError)) throw error;
        if (error.state === "locked") throw refusal(token, "locked");
        const left = pinStateText(error.state);
        warning = `Wrong PIN${left ? `: ${left}` : ""}. The token blocks itself after too many wrong PINs.`;
        if (prompt === PROMPTS_PER_REQUEST - 1) throw refusal(token, error.state);
      }
    }
    return undefined;
  }
}

export class PresetTokenPins implements TokenPins {
  /** Token serial → the refusal of its unattended PIN. */
  private readonly refused = new Map<string, InputError>();

  constructor(private readonly pins: Readonly<Record<string, string>>) {}

  async unlocked<T>(token: DetectedToken, _request: RequestSummary, operation: LoggedInOperation<T>) {
    const pin = this.pins[token.profile.store];
    if (pin === undefined) return undefined;
    const key = `${token.library} ${token.serial}`;
    const earlier = this.refused.get(key);
    if (earlier) throw earlier;
    try {
      return { pin, result: await token.pkcs11.withSession(token, pin, operation) };
    } catch (error) {
      if (!(error instanceof PinRefusedError)) throw error;
      const reported = refusal(
        token,
        error.state,
        "; the unattended file's PIN will not be tried again until the agent restarts",
      );
      this.refused.set(key, reported);
      throw reported;
    }
  }
}
