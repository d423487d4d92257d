/**
 * An error caused by the caller's input (a bad CSR, subject, request...). `code` is stable and
 * machine-readable; `message` names the problem for a person. Anything that is not an InputError
 * is a fault of ours.
 */
export class InputError extends Error {
  override name = "InputError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
