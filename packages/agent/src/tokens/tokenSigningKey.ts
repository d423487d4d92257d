// A SigningKey whose private key stays on the token: the digest is made here, the RSA operation
// (CKM_RSA_PKCS over the DigestInfo) there.
import type { Handle, PKCS11 } from "pkcs11js";
import {
  digest,
  digestInfoPrefix,
  InputError,
  OID,
  signatureAlgorithmByOid,
  type SigningKey,
} from "@qoltanba/pki";
import { findPrivateKey, signOnToken } from "./tokenObjects.ts";
import type { DetectedToken } from "./tokenRegistry.ts";

const RSA_SHA256 = signatureAlgorithmByOid(OID.sha256WithRSAEncryption);

function signingKeyOver(signDigestInfo: (digestInfo: Buffer) => Promise<Buffer>): SigningKey {
  const signDigest = (digestBytes: Buffer) =>
    signDigestInfo(Buffer.concat([digestInfoPrefix(RSA_SHA256.hash, digestBytes.length), digestBytes]));
  return { algorithm: RSA_SHA256, signDigest, sign: (data) => signDigest(digest(RSA_SHA256.hash, data)) };
}

export const keyMissing = (token: DetectedToken, id: Buffer) =>
  new InputError(
    "token_key_missing",
    `the token "${token.label}" holds no private key with id ${id.toString("hex")}`,
  );

/** Each signature opens its own session and logs in with the PIN the request was unlocked with. */
export function tokenSigningKey(token: DetectedToken, id: Buffer, pin: string): SigningKey {
  return signingKeyOver((digestInfo) =>
    token.pkcs11.withSession(token, pin, (lib, session) => {
      const key = findPrivateKey(lib, session, id);
      if (key === undefined) throw keyMissing(token, id);
      return signOnToken(lib, session, key, digestInfo);
    }),
  );
}

/** Signs in a session that is already open and logged in (the CSRs of freshly generated keys). */
export function sessionSigningKey(lib: PKCS11, session: Handle, key: Handle): SigningKey {
  return signingKeyOver((digestInfo) => signOnToken(lib, session, key, digestInfo));
}
