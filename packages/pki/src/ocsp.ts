// RFC 6960 OCSP with the RFC 5019 profile. Responses are built from parts so a responder can
// sign them ahead of time: encode each SingleResponse once, sign a BasicOCSPResponse around it.
import type { KeyObject } from "node:crypto";
import {
  HASH_OIDS,
  type HashName,
  type SigningKey,
  digest,
  signatureAlgorithmByOid,
  verifySignature,
} from "./algorithms.ts";
import { keyIdentifier } from "./certificate.ts";
import { parseCertificate } from "./certificateInfo.ts";
import {
  DerError,
  type Element,
  Tag,
  bitString,
  children,
  contextConstructed,
  decodeOid,
  derNull,
  enumerated,
  expectTag,
  generalizedTime,
  octetString,
  oid,
  readSingle,
  readTime,
  sequence,
  unsignedInteger,
} from "./der.ts";
import { checkDate, parsingAs, readAlgorithmOid, readSerial, readSignatureBits } from "./der-parsing.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";
import { REVOCATION_REASON_CODES, type RevocationReason, revocationReasonByCode } from "./revocation.ts";
import { type Extension, encodeExtension, readExtensions } from "./x509-extensions.ts";

export interface CertId {
  hashAlgorithm: HashName;
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  /** Unsigned big-endian magnitude without leading zero bytes. */
  serial: Buffer;
}

export type CertStatus =
  { kind: "good" } | { kind: "revoked"; revokedAt: Date; reason?: RevocationReason } | { kind: "unknown" };

const HASH_BY_OID: ReadonlyMap<string, HashName> = new Map(
  (Object.keys(HASH_OIDS) as HashName[]).map((name) => [HASH_OIDS[name], name]),
);
const HASH_LENGTHS: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
const MAX_NONCE_LENGTH = 32; // RFC 8954 2.1

// ---------------------------------------------------------------- CertID

/** What a CertID says about its issuer, computed once per issuer and hash. */
export interface IssuerHashes {
  hashAlgorithm: HashName;
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
}

/** The issuer's name and key hashes of RFC 6960 4.1.1, from the issuer's DER certificate. */
export function issuerHashes(issuerCertificate: Buffer, hashAlgorithm: HashName): IssuerHashes {
  const { subjectName, publicKeyInfo } = parseCertificate(issuerCertificate);
  return {
    hashAlgorithm,
    issuerNameHash: digest(hashAlgorithm, subjectName),
    issuerKeyHash: digest(hashAlgorithm, subjectPublicKeyBits(publicKeyInfo)),
  };
}

/** The subjectPublicKey BIT STRING's value, without the unused-bits byte: what OCSP hashes. */
function subjectPublicKeyBits(publicKeyInfo: Buffer): Buffer {
  return parsingAs("bad_certificate", "subjectPublicKeyInfo", () => {
    const [, key] = children(readSingle(publicKeyInfo, Tag.Sequence));
    const bits = expectTag(key, Tag.BitString, "subjectPublicKey").content;
    if (bits.length === 0 || bits[0] !== 0)
      throw new DerError("subjectPublicKey is not a whole number of bytes");
    return bits.subarray(1);
  });
}

/** Whether a CertID names this issuer (its serial is for the caller to look up). */
export function certIdMatches(certId: CertId, issuer: IssuerHashes): boolean {
  return (
    certId.hashAlgorithm === issuer.hashAlgorithm &&
    certId.issuerKeyHash.equals(issuer.issuerKeyHash) &&
    certId.issuerNameHash.equals(issuer.issuerNameHash)
  );
}

export function certIdFor(issuer: IssuerHashes, serial: Buffer): CertId {
  return { ...issuer, serial };
}

/** The key hash that names a responder in ResponderID byKey (RFC 6960 4.2.1): SHA-1 of its key bits. */
export function responderKeyHash(responderCertificate: Buffer): Buffer {
  return keyIdentifier(parseCertificate(responderCertificate).publicKeyInfo);
}

export function encodeCertId(certId: CertId): Buffer {
  const length = HASH_LENGTHS[certId.hashAlgorithm];
  if (length === undefined)
    throw new InputError("unsupported_hash", `unsupported CertID hash ${certId.hashAlgorithm}`);
  if (certId.issuerNameHash.length !== length || certId.issuerKeyHash.length !== length) {
    throw new InputError("bad_cert_id", `CertID hashes must be ${length} bytes for ${certId.hashAlgorithm}`);
  }
  if (certId.serial.length === 0) throw new InputError("bad_cert_id", "CertID needs a serial number");
  return sequence(
    sequence(oid(HASH_OIDS[certId.hashAlgorithm]), derNull()),
    octetString(certId.issuerNameHash),
    octetString(certId.issuerKeyHash),
    unsignedInteger(certId.serial),
  );
}

function readCertId(element: Element | undefined): CertId {
  const [algorithm, nameHash, keyHash, serial, ...extra] = children(
    expectTag(element, Tag.Sequence, "CertID"),
  );
  if (extra.length > 0) throw new DerError("CertID has extra fields");
  const hashOid = readAlgorithmOid(algorithm, "CertID hashAlgorithm");
  const hashAlgorithm = HASH_BY_OID.get(hashOid);
  if (!hashAlgorithm)
    throw new InputError("unsupported_hash", `unsupported CertID hash algorithm ${hashOid}`);
  const length = HASH_LENGTHS[hashAlgorithm];
  const issuerNameHash = expectTag(nameHash, Tag.OctetString, "issuerNameHash").content;
  const issuerKeyHash = expectTag(keyHash, Tag.OctetString, "issuerKeyHash").content;
  if (issuerNameHash.length !== length || issuerKeyHash.length !== length) {
    throw new DerError(`CertID hashes are not ${length} bytes long as ${hashAlgorithm} makes them`);
  }
  return { hashAlgorithm, issuerNameHash, issuerKeyHash, serial: readSerial(serial, "CertID serialNumber") };
}

// ---------------------------------------------------------------- requests

export interface OcspRequest {
  requests: Array<{ certId: CertId }>;
  /** The RFC 8954 Nonce octets (inside the extension's OCTET STRING). */
  nonce?: Buffer;
  /** The TBSRequest bytes. */
  tbsRequest: Buffer;
  /** Whether the request carries an optionalSignature (not checked here). */
  signed: boolean;
}

/** Parses a DER OCSPRequest; anything malformed is an InputError (answer: malformedRequest). */
export function parseOcspRequest(der: Buffer): OcspRequest {
  return parsingAs("malformed_ocsp_request", "OCSP request", () => {
    const [tbs, signature, ...extra] = children(readSingle(der, Tag.Sequence));
    if (extra.length > 0 || (signature && signature.tag !== 0xa0))
      throw new DerError("OCSPRequest has extra fields");
    const fields = children(expectTag(tbs, Tag.Sequence, "tbsRequest"));
    let index = 0;
    if (fields[index]?.tag === 0xa0) {
      const version = readSingle(fields[index++]!.content, Tag.Integer).content;
      if (version.length !== 1 || version[0] !== 0) throw new DerError("OCSP request version must be v1");
    }
    if (fields[index]?.tag === 0xa1) index++; // requestorName
    const list = children(expectTag(fields[index++], Tag.Sequence, "requestList"));
    if (list.length === 0) throw new DerError("requestList is empty");
    const requests = list.map((request) => {
      const [certId, singleExtensions, ...rest] = children(expectTag(request, Tag.Sequence, "Request"));
      if (rest.length > 0 || (singleExtensions && singleExtensions.tag !== 0xa0)) {
        throw new DerError("Request has extra fields");
      }
      if (singleExtensions) {
        refuseCriticalExtensions(
          readExtensions(readSingle(singleExtensions.content), "singleRequestExtensions"),
        );
      }
      return { certId: readCertId(certId) };
    });
    let nonce: Buffer | undefined;
    const extensionsElement = fields[index++];
    if (extensionsElement) {
      const extensions = readExtensions(
        readSingle(expectTag(extensionsElement, 0xa2, "requestExtensions").content),
        "requestExtensions",
      );
      nonce = readNonce(extensions);
      refuseCriticalExtensions(extensions.filter((extension) => extension.oid !== OID.ocspNonce));
    }
    if (index < fields.length) throw new DerError("tbsRequest has extra fields");
    return { requests, ...(nonce ? { nonce } : {}), tbsRequest: tbs!.raw, signed: signature !== undefined };
  });
}

/** A DER OCSPRequest for `certIds`, unsigned, with an RFC 8954 nonce when given (1 to 32 octets). */
export function buildOcspRequest(certIds: readonly CertId[], nonce?: Buffer): Buffer {
  if (certIds.length === 0) throw new InputError("bad_ocsp_request", "an OCSP request needs at least one CertID");
  if (nonce !== undefined && (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH)) {
    throw new InputError("bad_ocsp_request", `the nonce must be 1 to ${MAX_NONCE_LENGTH} octets`);
  }
  return sequence(
    sequence(
      sequence(...certIds.map((certId) => sequence(encodeCertId(certId)))),
      ...(nonce ? [contextConstructed(2, sequence(encodeExtension(OID.ocspNonce, false, octetString(nonce))))] : []),
    ),
  );
}

function refuseCriticalExtensions(extensions: readonly Extension[]): void {
  const critical = extensions.find((extension) => extension.critical);
  if (critical)
    throw new InputError("malformed_ocsp_request", `unsupported critical extension ${critical.oid}`);
}

function readNonce(extensions: readonly Extension[]): Buffer | undefined {
  const extension = extensions.find((candidate) => candidate.oid === OID.ocspNonce);
  if (!extension) return undefined;
  const nonce = readSingle(extension.value, Tag.OctetString).content;
  if (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) {
    throw new DerError(`the nonce must be 1 to ${MAX_NONCE_LENGTH} octets, not ${nonce.length}`);
  }
  return nonce;
}

// ---------------------------------------------------------------- responses

const GOOD = Buffer.from([0x80, 0]); // [0] IMPLICIT NULL
const UNKNOWN = Buffer.from([0x82, 0]); // [2] IMPLICIT UnknownInfo (NULL)

function encodeCertStatus(status: CertStatus): Buffer {
  switch (status.kind) {
    case "good":
      return GOOD;
    case "unknown":
      return UNKNOWN;
    case "revoked": {
      checkDate(status.revokedAt, "revokedAt");
      const { reason } = status;
      if (reason === undefined || reason === "unspecified") {
        return contextConstructed(1, generalizedTime(status.revokedAt));
      }
      if (!Object.hasOwn(REVOCATION_REASON_CODES, reason) || reason === "removeFromCRL") {
        throw new InputError(
          "bad_revocation_reason",
          `${JSON.stringify(reason)} is not a revocation reason for OCSP`,
        );
      }
      const code = REVOCATION_REASON_CODES[reason];
      return contextConstructed(
        1,
        generalizedTime(status.revokedAt),
        contextConstructed(0, enumerated(code)),
      );
    }
    default:
      throw new InputError("bad_cert_status", `unknown certificate status ${JSON.stringify(status)}`);
  }
}

/** One SingleResponse, DER, ready to be signed inside a BasicOCSPResponse now or later. */
export function buildSingleResponse(
  certId: CertId,
  status: CertStatus,
  thisUpdate: Date,
  nextUpdate: Date,
): Buffer {
  checkDate(thisUpdate, "thisUpdate");
  checkDate(nextUpdate, "nextUpdate");
  if (nextUpdate.getTime() <= thisUpdate.getTime()) {
    throw new InputError("bad_ocsp_response", "nextUpdate must be after thisUpdate");
  }
  return sequence(
    encodeCertId(certId),
    encodeCertStatus(status),
    generalizedTime(thisUpdate),
    contextConstructed(0, generalizedTime(nextUpdate)),
  );
}

export interface BasicOcspResponseParts {
  /** SHA-1 of the responder's public key: ResponderID byKey, as RFC 5019 asks. */
  responderKeyHash: Buffer;
  producedAt: Date;
  /** From buildSingleResponse. */
  singleResponses: Buffer[];
  /** The request's nonce, echoed (RFC 8954). */
  nonce?: Buffer;
  /** DER certificates to include, such as the delegated responder's. */
  certificates?: Buffer[];
}

const BASIC_RESPONSE_TYPE = oid(OID.ocspBasic);

/** Signs a BasicOCSPResponse and wraps it: the complete, successful DER OCSPResponse. */
export async function buildBasicOcspResponse(
  parts: BasicOcspResponseParts,
  signingKey: SigningKey,
): Promise<Buffer> {
  if (!Buffer.isBuffer(parts.responderKeyHash) || parts.responderKeyHash.length !== HASH_LENGTHS.sha1) {
    throw new InputError("bad_ocsp_response", "responderKeyHash must be a 20-byte SHA-1 hash");
  }
  checkDate(parts.producedAt, "producedAt");
  if (parts.singleResponses.length === 0) {
    throw new InputError("bad_ocsp_response", "a response needs at least one SingleResponse");
  }
  const { nonce } = parts;
  if (nonce !== undefined && (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH)) {
    throw new InputError("bad_ocsp_response", `the nonce must be 1 to ${MAX_NONCE_LENGTH} octets`);
  }
  const responseData = sequence(
    contextConstructed(2, octetString(parts.responderKeyHash)),
    generalizedTime(parts.producedAt),
    sequence(...parts.singleResponses),
    ...(nonce
      ? [contextConstructed(1, sequence(encodeExtension(OID.ocspNonce, false, octetString(nonce))))]
      : []),
  );
  const signature = await signingKey.sign(responseData);
  const basic = sequence(
    responseData,
    signingKey.algorithm.identifier,
    bitString(signature),
    ...(parts.certificates?.length ? [contextConstructed(0, sequence(...parts.certificates))] : []),
  );
  return sequence(enumerated(0), contextConstructed(0, sequence(BASIC_RESPONSE_TYPE, octetString(basic))));
}

export type OcspResponseStatus =
  "successful" | "malformedRequest" | "internalError" | "tryLater" | "sigRequired" | "unauthorized";

const RESPONSE_STATUS_CODES: Record<OcspResponseStatus, number> = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
};
const STATUS_BY_CODE: ReadonlyMap<number, OcspResponseStatus> = new Map(
  (Object.keys(RESPONSE_STATUS_CODES) as OcspResponseStatus[]).map((name) => [
    RESPONSE_STATUS_CODES[name],
    name,
  ]),
);
const ERROR_RESPONSES = new Map(
  (Object.keys(RESPONSE_STATUS_CODES) as OcspResponseStatus[])
    .filter((name) => name !== "successful")
    .map((name) => [name, sequence(enumerated(RESPONSE_STATUS_CODES[name]))] as const),
);

/** The whole OCSPResponse for an error status (no responseBytes); shared bytes, do not modify. */
export function ocspErrorResponse(status: Exclude<OcspResponseStatus, "successful">): Buffer {
  const response = ERROR_RESPONSES.get(status);
  if (!response)
    throw new InputError("bad_ocsp_status", `not an OCSP error status: ${JSON.stringify(status)}`);
  return response;
}

// ---------------------------------------------------------------- parsing responses

export type ResponderId = { byName: Buffer /* DER Name */ } | { byKey: Buffer /* SHA-1 key hash */ };

export interface SingleOcspResponse {
  certId: CertId;
  status: CertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export interface BasicOcspResponse {
  status: "successful";
  responderId: ResponderId;
  producedAt: Date;
  responses: SingleOcspResponse[];
  /** The RFC 8954 Nonce octets. */
  nonce?: Buffer;
  responseExtensions: Extension[];
  /** DER certificates the responder included. */
  certificates: Buffer[];
  /** The signed ResponseData bytes. */
  tbsResponseData: Buffer;
  /** Signature algorithm OID (GOST ones included: parsing works, verifying them is not supported). */
  signatureAlgorithm: string;
  signature: Buffer;
}

export type ParsedOcspResponse = BasicOcspResponse | { status: Exclude<OcspResponseStatus, "successful"> };

/** Parses a DER OCSPResponse; a malformed one is an InputError. */
export function parseOcspResponse(der: Buffer): ParsedOcspResponse {
  return parsingAs("malformed_ocsp_response", "OCSP response", () => {
    const [statusElement, bytesElement, ...extra] = children(readSingle(der, Tag.Sequence));
    if (extra.length > 0) throw new DerError("OCSPResponse has extra fields");
    const code = expectTag(statusElement, Tag.Enumerated, "responseStatus").content;
    const status = code.length === 1 ? STATUS_BY_CODE.get(code[0]!) : undefined;
    if (!status) throw new DerError(`unknown responseStatus ${code.toString("hex")}`);
    if (status !== "successful") {
      if (bytesElement) throw new DerError(`an ${status} response has responseBytes`);
      return { status };
    }
    const [type, response, ...rest] = children(
      readSingle(expectTag(bytesElement, 0xa0, "responseBytes").content, Tag.Sequence),
    );
    if (rest.length > 0) throw new DerError("ResponseBytes has extra fields");
    const responseType = decodeOid(expectTag(type, Tag.ObjectIdentifier, "responseType").content);
    if (responseType !== OID.ocspBasic) {
      throw new InputError("unsupported_ocsp_response", `unsupported OCSP response type ${responseType}`);
    }
    return readBasicResponse(expectTag(response, Tag.OctetString, "response").content);
  });
}

function readBasicResponse(der: Buffer): BasicOcspResponse {
  const [data, algorithm, signatureElement, certs, ...extra] = children(readSingle(der, Tag.Sequence));
  if (extra.length > 0) throw new DerError("BasicOCSPResponse has extra fields");
  const signatureAlgorithm = readAlgorithmOid(algorithm, "signatureAlgorithm");
  const signature = readSignatureBits(signatureElement);
  const certificates = certs
    ? children(readSingle(expectTag(certs, 0xa0, "certs").content, Tag.Sequence)).map(
        (certificate) => expectTag(certificate, Tag.Sequence, "certificate").raw,
      )
    : [];
  const fields = children(expectTag(data, Tag.Sequence, "tbsResponseData"));
  let index = 0;
  if (fields[index]?.tag === 0xa0) {
    const version = readSingle(fields[index++]!.content, Tag.Integer).content;
    if (version.length !== 1 || version[0] !== 0) throw new DerError("OCSP response version must be v1");
  }
  const responderId = readResponderId(fields[index++]);
  const producedAt = readTime(expectTag(fields[index++], Tag.GeneralizedTime, "producedAt"));
  const responses = children(expectTag(fields[index++], Tag.Sequence, "responses")).map(readSingleResponse);
  let responseExtensions: Extension[] = [];
  if (fields[index]) {
    const extensions = readSingle(expectTag(fields[index++], 0xa1, "responseExtensions").content);
    responseExtensions = readExtensions(extensions, "responseExtensions");
  }
  if (index < fields.length) throw new DerError("tbsResponseData has extra fields");
  const nonce = readNonce(responseExtensions);
  return {
    status: "successful",
    responderId,
    producedAt,
    responses,
    ...(nonce ? { nonce } : {}),
    responseExtensions,
    certificates,
    tbsResponseData: data!.raw,
    signatureAlgorithm,
    signature,
  };
}

function readResponderId(element: Element | undefined): ResponderId {
  if (element?.tag === 0xa1) return { byName: readSingle(element.content, Tag.Sequence).raw };
  if (element?.tag === 0xa2) return { byKey: readSingle(element.content, Tag.OctetString).content };
  throw new DerError("responderID is missing or not byName/byKey");
}

function readSingleResponse(element: Element): SingleOcspResponse {
  const [certId, statusElement, thisUpdateElement, ...optional] = children(
    expectTag(element, Tag.Sequence, "SingleResponse"),
  );
  const response: SingleOcspResponse = {
    certId: readCertId(certId),
    status: readCertStatus(statusElement),
    thisUpdate: readTime(expectTag(thisUpdateElement, Tag.GeneralizedTime, "thisUpdate")),
  };
  let index = 0;
  if (optional[index]?.tag === 0xa0) {
    response.nextUpdate = readTime(readSingle(optional[index++]!.content, Tag.GeneralizedTime));
  }
  if (optional[index]?.tag === 0xa1)
    readExtensions(readSingle(optional[index++]!.content), "singleExtensions");
  if (index < optional.length) throw new DerError("SingleResponse has extra fields");
  return response;
}

function readCertStatus(element: Element | undefined): CertStatus {
  if (element?.tag === 0x80 && element.content.length === 0) return { kind: "good" };
  if (element?.tag === 0x82 && element.content.length === 0) return { kind: "unknown" };
  if (element?.tag !== 0xa1) throw new DerError("certStatus is missing or not good/revoked/unknown");
  const [time, reasonElement, ...extra] = children(element);
  if (extra.length > 0) throw new DerError("RevokedInfo has extra fields");
  const status: CertStatus = {
    kind: "revoked",
    revokedAt: readTime(expectTag(time, Tag.GeneralizedTime, "revocationTime")),
  };
  if (reasonElement) {
    const code = readSingle(
      expectTag(reasonElement, 0xa0, "revocationReason").content,
      Tag.Enumerated,
    ).content;
    if (code.length !== 1) throw new DerError("revocationReason is out of range");
    status.reason = revocationReasonByCode(code[0]!);
  }
  return status;
}

/** Checks a basic response's signature with the signer's public key; GOST algorithms throw InputError. */
export function verifyOcspResponse(response: BasicOcspResponse, signerPublicKey: KeyObject): boolean {
  return verifySignature(
    signatureAlgorithmByOid(response.signatureAlgorithm),
    response.tbsResponseData,
    signerPublicKey,
    response.signature,
  );
}
