// Turning what went wrong into each module's error reply, without leaking internals or secrets.
import { InputError } from "@qoltanba/pki";
import { ArgumentError } from "../protocol/arguments.ts";
import {
  basicsFailure,
  type BasicsErrorCode,
  type BasicsFailure,
  commonUtilsFailure,
  type CommonUtilsFailure,
} from "../protocol/messages.ts";

/** Internal faults are reported to the agent's own log only; the page learns nothing from them. */
export function logInternalError(error: unknown): void {
  process.stderr.write(`qoltanba agent: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
}

/** NCALayer's message keys ("storage.empty", "file.not_found") pass through as they are; pages test for them. */
const isMessageKey = (code: string) => /^[a-zA-Z]+(\.[a-zA-Z_]+)+$/.test(code);

export function commonUtilsError(method: string, error: unknown): CommonUtilsFailure {
  if (error instanceof ArgumentError)
    return commonUtilsFailure(`argument type mismatch. Method: ${method}: ${error.message}`);
  if (error instanceof InputError)
    return commonUtilsFailure(isMessageKey(error.code) ? error.code : error.message);
  logInternalError(error);
  return commonUtilsFailure("internal error");
}

export function basicsError(failureCode: BasicsErrorCode, error: unknown): BasicsFailure {
  if (error instanceof ArgumentError)
    return basicsFailure("INVALID_SIGNING_PARAMS", "Invalid arguments.", error.message);
  if (error instanceof InputError) return basicsFailure(failureCode, error.message, error.code);
  logInternalError(error);
  return basicsFailure("GENERAL_ERROR", "internal error");
}
