import type { Person } from "../storage/portalStore.ts";

/** The state database of individuals (ГБД ФЛ): who holds an IIN. */
export interface PersonRegistry {
  /** The person, or undefined when the registry has no such IIN. Throws RegistryUnavailable on an outage. */
  find(iin: string): Promise<Person | undefined>;
}

/** The registry cannot answer now (down, slow, refusing us): the page says "try later". */
export class RegistryUnavailable extends Error {
  override name = "RegistryUnavailable";
}
