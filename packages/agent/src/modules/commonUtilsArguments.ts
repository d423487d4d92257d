import { InputError } from "@qoltanba/pki";
import type { RequestSummary } from "../dialogs/dialogs.ts";
import { stringArgument } from "../protocol/arguments.ts";
import { COMMON_UTILS_MESSAGES, FILE_STORAGE, HARDWARE_STORAGES } from "../protocol/messages.ts";
import type { Session } from "../session.ts";

/** The storage argument: an empty one and an unknown name have their own NCALayer messages. */
export function storageArgument(value: unknown): string {
  if (value === undefined || value === null || value === "")
    throw new InputError(COMMON_UTILS_MESSAGES.storageEmpty, "no storage");
  const storage = stringArgument(value, "storage");
  if (storage !== FILE_STORAGE && !(HARDWARE_STORAGES as readonly string[]).includes(storage)) {
    throw new InputError(COMMON_UTILS_MESSAGES.storageUnknown, `unknown storage ${storage}`);
  }
  return storage;
}

export function keyTypeArgument(value: unknown): string {
  return stringArgument(value, "keyType");
}

export function summary(
  session: Session,
  operation: string,
  documents: RequestSummary["documents"] = [],
): RequestSummary {
  return { origin: session.origin, operation, documents };
}
