// What the agent keeps on a token: RSA key pairs generated there (the private key sensitive, never
// extractable), certificates beside them under the same CKA_ID and CKA_LABEL, and signatures made
// there. The calls take an open session from Pkcs11Library.withSession.
import pkcs11js, { type Handle, type PKCS11 } from "pkcs11js";
import {
  keyIdTemplate,
  parseCertificate,
  rsaKeyOf,
  rsaKeyPairGeneration,
  rsaPublicKeyAttributes,
  rsaPublicKeyInfo,
  tlv,
  Tag,
} from "@qoltanba/pki";

export interface TokenCertificate {
  readonly id: Buffer;
  readonly label: string;
  readonly der: Buffer;
}

export interface TokenPublicKey {
  readonly id: Buffer;
  readonly label: string;
  readonly publicKeyInfo: Buffer;
}

/** Room for an RSA-4096 signature; pkcs11js returns the bytes actually written. */
const SIGNATURE_BUFFER = 512;

export function findObjects(lib: PKCS11, session: Handle, template: pkcs11js.Template): Handle[] {
  lib.C_FindObjectsInit(session, template);
  try {
    const found: Handle[] = [];
    for (let batch = lib.C_FindObjects(session, 32); batch.length > 0; batch = lib.C_FindObjects(session, 32))
      found.push(...batch);
    return found;
  } finally {
    lib.C_FindObjectsFinal(session);
  }
}

const text = (value: Buffer | undefined) => value?.toString("utf8") ?? "";
const bytes = (value: Buffer | undefined) => value ?? Buffer.alloc(0);

/** The X.509 certificates on the token (public objects: no login needed). */
export function readCertificates(lib: PKCS11, session: Handle): TokenCertificate[] {
  const handles = findObjects(lib, session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
    { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
  ]);
  return handles.map((handle) => {
    const [id, label, value] = lib.C_GetAttributeValue(session, handle, [
      { type: pkcs11js.CKA_ID },
      { type: pkcs11js.CKA_LABEL },
      { type: pkcs11js.CKA_VALUE },
    ]);
    return { id: bytes(id?.value), label: text(label?.value), der: bytes(value?.value) };
  });
}

/** The RSA public keys on the token, with their SubjectPublicKeyInfo. */
export function readPublicKeys(lib: PKCS11, session: Handle): TokenPublicKey[] {
  const handles = findObjects(lib, session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
  ]);
  return handles.map((handle) => {
    const [id, label, modulus, exponent] = lib.C_GetAttributeValue(session, handle, [
      { type: pkcs11js.CKA_ID },
      { type: pkcs11js.CKA_LABEL },
      { type: pkcs11js.CKA_MODULUS },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT },
    ]);
    return {
      id: bytes(id?.value),
      label: text(label?.value),
      publicKeyInfo: rsaPublicKeyInfo(bytes(modulus?.value), bytes(exponent?.value)),
    };
  });
}

export function findPrivateKey(lib: PKCS11, session: Handle, id: Buffer): Handle | undefined {
  return findObjects(lib, session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_ID, value: id },
  ])[0];
}

/**
 * Generates an RSA key pair on the token (pki's rsaKeyPairGeneration); CKA_ID is the key
 * identifier, as the certificate's SubjectKeyIdentifier will be. Returns the SubjectPublicKeyInfo and the id.
 */
export async function generateKeyPair(
  lib: PKCS11,
  session: Handle,
  label: (keyId: Buffer) => string,
  bits = 2048,
): Promise<{ publicKeyInfo: Buffer; id: Buffer; label: string }> {
  const pair = await lib.C_GenerateKeyPairAsync(session, ...rsaKeyPairGeneration(bits));
  const { publicKeyInfo, id } = rsaKeyOf(
    lib.C_GetAttributeValue(session, pair.publicKey, rsaPublicKeyAttributes()),
  );
  const names = keyIdTemplate(id, label(id));
  lib.C_SetAttributeValue(session, pair.privateKey, names);
  lib.C_SetAttributeValue(session, pair.publicKey, names);
  return { publicKeyInfo, id, label: label(id) };
}

/** Writes a certificate as a public token object beside its key (same CKA_ID and CKA_LABEL). */
export function writeCertificate(lib: PKCS11, session: Handle, der: Buffer, id: Buffer, label: string): void {
  const certificate = parseCertificate(der);
  lib.C_CreateObject(session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
    { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: false },
    { type: pkcs11js.CKA_ID, value: id },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_SUBJECT, value: certificate.subjectName },
    { type: pkcs11js.CKA_ISSUER, value: certificate.issuerName },
    { type: pkcs11js.CKA_SERIAL_NUMBER, value: tlv(Tag.Integer, certificate.serial) },
    { type: pkcs11js.CKA_VALUE, value: der },
  ]);
}

/** RSASSA-PKCS1-v1_5 on the token over a DigestInfo made here (CKM_RSA_PKCS). */
export async function signOnToken(
  lib: PKCS11,
  session: Handle,
  key: Handle,
  digestInfo: Buffer,
): Promise<Buffer> {
  lib.C_SignInit(session, { mechanism: pkcs11js.CKM_RSA_PKCS }, key);
  return lib.C_SignAsync(session, digestInfo, Buffer.alloc(SIGNATURE_BUFFER));
}
