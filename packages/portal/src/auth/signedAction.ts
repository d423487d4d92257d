// What the console's decisions and the cabinet's revocations and renewals share once a prepared
// signature has verified: the signed document and CMS are recorded (with a console-log entry) before
// the effect, the outcome after it; and later anyone may check a recorded one again.
import { InputError } from "@qoltanba/pki";
import type { CaClient } from "../caClient.ts";
import type { Audience } from "../storage/schema.ts";
import type { NewSignedAction, SignedAction, SignedActionStore } from "../storage/signedActionStore.ts";
import { parseCanonicalJson, type CanonicalValue } from "./canonicalJson.ts";
import { SIGN_PURPOSE, verifySignedDocument } from "./signedDocument.ts";

export interface Reverification {
  readonly valid: boolean;
  readonly problems: string[];
  readonly subject?: string;
}

/** Records the signed action, then carries it out; a failed effect is recorded too, and rethrown. */
export async function carryOut<A extends Audience>(
  store: SignedActionStore,
  action: Extract<NewSignedAction, { audience: A }>,
  effect: () => Promise<unknown>,
): Promise<SignedAction<A>> {
  const id = await store.record(action);
  try {
    await effect();
  } catch (error) {
    const outcome = `failed: ${error instanceof Error ? error.message : String(error)}`;
    await store.setOutcome(action.audience, id, outcome, new Date());
    throw error;
  }
  await store.setOutcome(action.audience, id, "applied", new Date());
  return (await store.get<A>(action.audience, id))!;
}

/**
 * Checks a recorded signed action again: its CMS, its signer's SIGN certificate at the time it was
 * made (path, purpose, not revoked then), and — through `saysWhatWasStored` — that the signed
 * document says what the row says.
 */
export async function reverifySignedAction<A extends Audience>(
  action: SignedAction<A>,
  ca: CaClient,
  saysWhatWasStored: (document: { [key: string]: CanonicalValue }) => boolean,
): Promise<Reverification> {
  const problems: string[] = [];
  let subject: string | undefined;
  try {
    const signed = await verifySignedDocument(action.cms, { ca, purpose: SIGN_PURPOSE, at: action.at });
    subject = signed.facts.subject;
    if (signed.content.toString("utf8") !== action.document)
      problems.push("the signed document differs from the stored one");
    if (signed.serial !== action.signerSerial) problems.push("signed by another certificate than recorded");
    if (!saysWhatWasStored(parseCanonicalJson(action.document) ?? {}))
      problems.push("the stored fields do not say what the signed document says");
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(error.message);
  }
  return { valid: problems.length === 0, problems, ...(subject ? { subject } : {}) };
}
