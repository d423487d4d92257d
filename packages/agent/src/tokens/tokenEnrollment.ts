// Enrollment on a token: generateCsr makes the AUTH and SIGN key pairs on the token and signs the
// CSRs there; importCertificate writes the issued certificates (and their chain) to the token
// beside their keys, under the same CKA_ID and CKA_LABEL. The private keys never leave it.
import { createCertificationRequest, InputError, toPem } from "@qoltanba/pki";
import type { RequestSummary } from "../dialogs/dialogs.ts";
import type { CertificateFacts } from "../keys/certificateFacts.ts";
import { type ImportedKey, keyFileName, type KeyRole } from "../keys/enrollment.ts";
import type { AgentContext } from "../session.ts";
import {
  findPrivateKey,
  generateKeyPair,
  readCertificates,
  readPublicKeys,
  writeCertificate,
  findObjects,
} from "./tokenObjects.ts";
import type { HardwareStorage } from "./tokenProfiles.ts";
import type { DetectedToken } from "./tokenRegistry.ts";
import { sessionSigningKey } from "./tokenSigningKey.ts";
import pkcs11js from "pkcs11js";

/** The token of `store` to use: the only one present, or the one the person picks. Undefined: cancelled. */
async function chooseToken(
  agent: AgentContext,
  store: HardwareStorage,
  request: RequestSummary,
): Promise<DetectedToken | undefined> {
  const tokens = await agent.tokens.tokensOf(store);
  if (tokens.length === 0) throw new InputError("storage.empty", `no ${store} token is connected`);
  if (tokens.length === 1) return tokens[0];
  const index = await agent.dialogs.chooseStorage({
    request,
    storages: tokens.map((token) => `${token.profile.title} "${token.label}" (${token.serial})`),
  });
  return index === undefined ? undefined : tokens[index];
}

export async function generateTokenKeys(
  agent: AgentContext,
  store: HardwareStorage,
  roles: readonly KeyRole[],
  request: RequestSummary,
): Promise<Partial<Record<KeyRole, string>> | undefined> {
  const token = await chooseToken(agent, store, request);
  if (!token) return undefined;
  const unlocked = await agent.tokenPins.unlocked(token, request, async (lib, session) => {
    const csrs: Partial<Record<KeyRole, string>> = {};
    for (const role of roles) {
      const pair = await generateKeyPair(lib, session, (id) => keyFileName(role, id.toString("hex"), ""));
      const key = findPrivateKey(lib, session, pair.id)!;
      const csr = await createCertificationRequest({
        publicKeyInfo: pair.publicKeyInfo,
        key: sessionSigningKey(lib, session, key),
      });
      csrs[role] = toPem("CERTIFICATE REQUEST", csr);
    }
    return csrs;
  });
  return unlocked?.result;
}

/**
 * Finds the token holding the public key of every certificate (a certificate that matches no key
 * there is refused before the PIN is asked), then writes the certificates and the chain.
 */
export async function importTokenCertificates(
  agent: AgentContext,
  store: HardwareStorage,
  certificates: readonly CertificateFacts[],
  chain: readonly Buffer[],
  request: RequestSummary,
): Promise<ImportedKey[] | undefined> {
  const tokens = await agent.tokens.tokensOf(store);
  if (tokens.length === 0) throw new InputError("storage.empty", `no ${store} token is connected`);
  for (const token of tokens) {
    const publicKeys = await token.pkcs11.withSession(token, undefined, readPublicKeys);
    const matches = certificates.map((certificate) => ({
      certificate,
      key: publicKeys.find((key) => key.publicKeyInfo.equals(certificate.publicKeyInfo)),
    }));
    if (matches.some((match) => !match.key)) continue;
    const unlocked = await agent.tokenPins.unlocked(token, request, (lib, session) => {
      const present = readCertificates(lib, session);
      const imported: ImportedKey[] = [];
      for (const { certificate, key } of matches) {
        if (findPrivateKey(lib, session, key!.id) === undefined)
          throw new InputError(
            "certificate_matches_no_key",
            `the token "${token.label}" lost the private key ${key!.label}`,
          );
        // A certificate installed again replaces the one beside the same key.
        for (const handle of findObjects(lib, session, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
          { type: pkcs11js.CKA_ID, value: key!.id },
        ]))
          lib.C_DestroyObject(session, handle);
        writeCertificate(lib, session, certificate.der, key!.id, key!.label);
        imported.push({
          role: key!.label.startsWith("AUTH_") ? "AUTH" : "SIGN",
          keyId: certificate.keyId,
          fileName: key!.label,
        });
      }
      for (const der of chain)
        if (!present.some((stored) => stored.der.equals(der)))
          writeCertificate(lib, session, der, Buffer.alloc(0), "CA");
      return imported;
    });
    return unlocked?.result;
  }
  throw new InputError(
    "certificate_matches_no_key",
    `the certificates match no key pair on the connected ${store} token${tokens.length === 1 ? "" : "s"}`,
  );
}
