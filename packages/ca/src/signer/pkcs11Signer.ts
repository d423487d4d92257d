import pkcs11js from "pkcs11js";
import {
  digest,
  digestInfoPrefix,
  InputError,
  keyIdentifier,
  OID,
  rsaPublicKeyInfo,
  signatureAlgorithmByOid,
  type SigningKey,
} from "@qoltanba/pki";
import type { CaKeyName, CaSigner } from "./signer.ts";
import { Pkcs11Token, type Pkcs11TokenOptions } from "./pkcs11Token.ts";

const RSA_SHA256 = signatureAlgorithmByOid(OID.sha256WithRSAEncryption);
/** Room for an RSA-4096 signature; pkcs11js returns the bytes actually written. */
const SIGNATURE_BUFFER = 512;

/** A SigningKey whose private key stays on the token: the digest is made here, the RSA operation (CKM_RSA_PKCS over the DigestInfo) there. */
export function tokenSigningKey(token: Pkcs11Token, label: string): SigningKey {
  const signDigest = (digestBytes: Buffer) =>
    token.withSession(async (lib, session) => {
      const key = token.findObject(lib, session, pkcs11js.CKO_PRIVATE_KEY, label);
      if (key === undefined)
        throw new InputError(
          "hsm_key_missing",
          `the HSM token "${token.label}" holds no private key labelled "${label}"`,
        );
      lib.C_SignInit(session, { mechanism: pkcs11js.CKM_RSA_PKCS }, key);
      return lib.C_SignAsync(
        session,
        Buffer.concat([digestInfoPrefix(RSA_SHA256.hash, digestBytes.length), digestBytes]),
        Buffer.alloc(SIGNATURE_BUFFER),
      );
    });
  return { algorithm: RSA_SHA256, signDigest, sign: (data) => signDigest(digest(RSA_SHA256.hash, data)) };
}

export interface Pkcs11Signer extends CaSigner {
  readonly token: Pkcs11Token;
}

/** Opens the token and checks that every named key is there and is an RSA private key. */
export async function openPkcs11Signer(
  options: Pkcs11TokenOptions,
  keyLabels: Partial<Record<CaKeyName, string>>,
): Promise<Pkcs11Signer> {
  const token = await Pkcs11Token.open(options);
  const keys = new Map<CaKeyName, SigningKey>();
  try {
    for (const [name, label] of Object.entries(keyLabels) as Array<[CaKeyName, string]>) {
      await token.withSession(async (lib, session) => {
        const key = token.findObject(lib, session, pkcs11js.CKO_PRIVATE_KEY, label);
        if (key === undefined)
          throw new InputError(
            "hsm_key_missing",
            `the HSM token "${token.label}" holds no private key labelled "${label}" (the ${name} key)`,
          );
        const [type] = lib.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_KEY_TYPE }]);
        if (type?.value?.length !== 8 || type.value.readBigUInt64LE() !== BigInt(pkcs11js.CKK_RSA)) {
          throw new InputError("hsm_key_type", `the ${name} key "${label}" on the HSM is not an RSA key`);
        }
      });
      keys.set(name, tokenSigningKey(token, label));
    }
  } catch (error) {
    token.close();
    throw error;
  }
  return {
    token,
    key(name) {
      const key = keys.get(name);
      if (!key) throw new Error(`CA key ${name} is not on the HSM`);
      return key;
    },
    close: async () => token.close(),
  };
}

/**
 * Generates an RSA key pair on the token: the private key sensitive, never extractable, usable
 * only to sign; CKA_ID set to the key identifier (SHA-1 of the public key, as in the certificate's
 * SubjectKeyIdentifier). Returns the SubjectPublicKeyInfo.
 */
export async function generateTokenRsaKey(token: Pkcs11Token, label: string, bits: number): Promise<Buffer> {
  return token.withSession(async (lib, session) => {
    if (token.findObject(lib, session, pkcs11js.CKO_PRIVATE_KEY, label) !== undefined) {
      throw new InputError(
        "hsm_key_exists",
        `the HSM token "${token.label}" already holds a key labelled "${label}"`,
      );
    }
    const common = [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_LABEL, value: label },
    ];
    const pair = await lib.C_GenerateKeyPairAsync(
      session,
      { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        ...common,
        { type: pkcs11js.CKA_MODULUS_BITS, value: bits },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        { type: pkcs11js.CKA_VERIFY, value: true },
      ],
      [
        ...common,
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
      ],
    );
    const [modulus, exponent] = lib.C_GetAttributeValue(session, pair.publicKey, [
      { type: pkcs11js.CKA_MODULUS },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT },
    ]);
    const publicKeyInfo = rsaPublicKeyInfo(modulus!.value as Buffer, exponent!.value as Buffer);
    const id = [{ type: pkcs11js.CKA_ID, value: keyIdentifier(publicKeyInfo) }];
    lib.C_SetAttributeValue(session, pair.privateKey, id);
    lib.C_SetAttributeValue(session, pair.publicKey, id);
    return publicKeyInfo;
  });
}

/** Removes a key pair from the token (a key generated by an init that then failed, never certified). */
export async function destroyTokenKey(token: Pkcs11Token, label: string): Promise<void> {
  await token.withSession(async (lib, session) => {
    for (const objectClass of [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY]) {
      const handle = token.findObject(lib, session, objectClass, label);
      if (handle !== undefined) lib.C_DestroyObject(session, handle);
      token.forgetObject(objectClass, label);
    }
  });
}
