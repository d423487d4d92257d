// A hardware key store (`AKKaztokenStore`, ...): the certificates on the tokens of its profile
// that are present now, each unlocked with the token's PIN when the person has chosen it.
import type { RequestSummary } from "../dialogs/dialogs.ts";
import { certificateFacts } from "../keys/certificateFacts.ts";
import type { KeyCandidate, KeyStore } from "../keys/keyStore.ts";
import { findPrivateKey, readCertificates } from "./tokenObjects.ts";
import type { TokenPins } from "./tokenPins.ts";
import type { HardwareStorage } from "./tokenProfiles.ts";
import type { DetectedToken, TokenRegistry } from "./tokenRegistry.ts";
import { keyMissing, tokenSigningKey } from "./tokenSigningKey.ts";

export class Pkcs11TokenStore implements KeyStore {
  readonly hardware = true;

  constructor(
    readonly name: HardwareStorage,
    private readonly registry: TokenRegistry,
    private readonly pins: TokenPins,
  ) {}

  async present(): Promise<boolean> {
    return (await this.registry.tokensOf(this.name)).length > 0;
  }

  async candidates(): Promise<KeyCandidate[]> {
    const candidates: KeyCandidate[] = [];
    for (const token of await this.registry.tokensOf(this.name))
      candidates.push(...(await this.tokenCandidates(token)));
    return candidates;
  }

  /** The token's end-entity certificates are the keys on offer; its CA certificates are their chain. */
  private async tokenCandidates(token: DetectedToken): Promise<KeyCandidate[]> {
    const stored = await token.pkcs11.withSession(token, undefined, readCertificates);
    const certificates = stored.flatMap((certificate) => {
      try {
        return [{ ...certificate, facts: certificateFacts(certificate.der) }];
      } catch {
        return []; // Not a certificate this agent can read (another application's object): not offered.
      }
    });
    const isCa = (entry: (typeof certificates)[number]) => entry.facts.keyUsage.has("keyCertSign");
    const chain = certificates.filter(isCa).map((entry) => entry.der);
    return certificates
      .filter((entry) => !isCa(entry) && entry.id.length > 0)
      .map(({ id, label, facts }) => ({
        facts,
        chain,
        alias: label || facts.keyId,
        location: `${token.profile.title} "${token.label}"`,
        unlock: async (request: RequestSummary) => {
          const unlocked = await this.pins.unlocked(token, request, (lib, session) => {
            if (findPrivateKey(lib, session, id) === undefined) throw keyMissing(token, id);
          });
          return unlocked && tokenSigningKey(token, id, unlocked.pin);
        },
      }));
  }
}
