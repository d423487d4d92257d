// Routes one protocol message to its module and returns the reply to send.
import { handleAccessory } from "../modules/accessory.ts";
import { handleBasics } from "../modules/basics.ts";
import { handleCommonUtils } from "../modules/commonUtils.ts";
import { isRecord } from "../protocol/arguments.ts";
import { commonUtilsFailure, type ModuleRequest, moduleNotFound, MODULES } from "../protocol/messages.ts";
import type { Session } from "../session.ts";

export async function dispatch(text: string, session: Session): Promise<unknown> {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return commonUtilsFailure("malformed JSON request");
  }
  if (!isRecord(message)) return commonUtilsFailure("a request must be a JSON object");
  if (typeof message.module !== "string") {
    // The legacy applet API (no module) took key passwords from the page: Qoltanba does not offer it.
    return moduleNotFound();
  }
  if (typeof message.method !== "string") return commonUtilsFailure("method must be a string");
  const request = message as unknown as ModuleRequest;
  switch (request.module) {
    case MODULES.commonUtils:
      return handleCommonUtils(request, session);
    case MODULES.basics:
      return handleBasics(request, session);
    case MODULES.accessory:
      return handleAccessory(request);
    default:
      return moduleNotFound();
  }
}
