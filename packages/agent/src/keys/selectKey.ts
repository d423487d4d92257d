// The common path of every request that uses a key: which stores, which keys fit, the person's
// choice and confirmation in the agent's dialog, then the unlocked key.
import { InputError, type SigningKey } from "@qoltanba/pki";
import type { KeyDescription, RequestSummary } from "../dialogs/dialogs.ts";
import type { AgentContext } from "../session.ts";
import { commonNameOf, formatName, keyTypesOf } from "./certificateFacts.ts";
import type { KeyCandidate, KeyStore } from "./keyStore.ts";
import { type KeyCriteria, keyMatches } from "./keySelection.ts";

export interface SelectedKey {
  candidate: KeyCandidate;
  signingKey: SigningKey;
}

/** `storages` null: any store. Undefined result: the person cancelled. */
export async function selectKey(
  agent: AgentContext,
  storages: readonly string[] | null,
  criteria: Omit<KeyCriteria, "now" | "allowInvalidTime">,
  request: RequestSummary,
): Promise<SelectedKey | undefined> {
  const store = await chooseStore(agent, storages, request);
  if (store === null) return undefined;
  const offered = await store.candidates(request);
  if (offered === undefined) return undefined;
  const fitting = offered.filter((candidate) =>
    keyMatches(candidate.facts, candidate.chain, {
      ...criteria,
      now: agent.now(),
      allowInvalidTime: agent.allowInvalidCertificateTime,
    }),
  );
  if (fitting.length === 0) {
    throw new InputError(
      "no_suitable_key",
      offered.length === 0
        ? "the storage holds no keys"
        : "no key fits the request (key type, key usages, owner, serial number, chain or validity period)",
    );
  }
  const index = await agent.dialogs.chooseKey({ request, keys: fitting.map(describeKey) });
  const candidate = index === undefined ? undefined : fitting[index];
  if (!candidate) return undefined;
  const signingKey = await candidate.unlock(request);
  return signingKey ? { candidate, signingKey } : undefined;
}

/** The store for the request; null when the person cancelled the choice. */
async function chooseStore(
  agent: AgentContext,
  storages: readonly string[] | null,
  request: RequestSummary,
): Promise<KeyStore | null> {
  const allowed = agent.stores.filter((store) => storages === null || storages.includes(store.name));
  const usable: KeyStore[] = [];
  for (const store of allowed) if (await store.present()) usable.push(store);
  if (usable.length === 0) throw new InputError("storage.empty", "none of the allowed storages is available");
  if (usable.length === 1) return usable[0]!;
  const index = await agent.dialogs.chooseStorage({ request, storages: usable.map((store) => store.name) });
  return (index === undefined ? undefined : usable[index]) ?? null;
}

export function describeKey(candidate: KeyCandidate): KeyDescription {
  const { facts } = candidate;
  return {
    subject: commonNameOf(facts.subject) || formatName(facts.subject),
    issuer: commonNameOf(facts.issuer) || formatName(facts.issuer),
    serialNumber: facts.serialNumber,
    validTo: facts.notAfter.toISOString(),
    usage: keyTypesOf(facts).join(", ") || "—",
    location: candidate.location,
  };
}
