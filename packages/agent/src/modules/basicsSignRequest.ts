// The arguments of kz.gov.pki.knca.basics sign, checked and turned into one signing job.
import { fromPemOrDer, InputError } from "@qoltanba/pki";
import type { DocumentPreview } from "../dialogs/dialogs.ts";
import type { KeyCriteria } from "../keys/keySelection.ts";
import {
  ArgumentError,
  base64Argument,
  booleanArgument,
  isRecord,
  optionalString,
  stringList,
} from "../protocol/arguments.ts";
import type { SignFormat } from "../protocol/messages.ts";
import { digestPreviewOf, previewOf, xmlPreviewOf } from "../signing/preview.ts";

/** Documents per request; a page with more signs in several requests. */
export const MAX_DOCUMENTS = 100;
const SHA256_LENGTH = 32;

export interface SignJob {
  format: SignFormat;
  /** `data` was one string (not a list): cms and raw reply with one string then. */
  single: boolean;
  /** cms and raw: the bytes to sign, or their SHA-256 digests when `digested`. */
  documents: Buffer[];
  /** xml: the documents as text. */
  xmlDocuments: string[];
  digested: boolean;
  encapsulate: boolean;
  timestamp: boolean;
  outputCert: boolean;
  tbsElementXPath: string | undefined;
  signatureParentElementXPath: string | undefined;
  storages: string[] | null;
  criteria: Omit<KeyCriteria, "now" | "allowInvalidTime">;
}

/** A structural problem of the request itself (NCALayer answers INVOCATION_ERROR for these). */
export class InvocationError extends Error {
  override name = "InvocationError";
}

export function parseSignArgs(args: unknown): SignJob {
  if (!isRecord(args)) throw new InvocationError("args is not a JSON object");
  const signingParams = args.signingParams ?? {};
  const signerParams = args.signerParams;
  if (!isRecord(signingParams)) throw new InvocationError('JSONObject["signingParams"] is not a JSONObject.');
  if (!isRecord(signerParams)) throw new InvocationError('JSONObject["signerParams"] is not a JSONObject.');

  const format = args.format;
  if (format !== "cms" && format !== "xml" && format !== "raw")
    throw new ArgumentError('format must be "cms", "xml" or "raw"');
  const single = !Array.isArray(args.data);
  const data = single ? [args.data] : (args.data as unknown[]);
  if (data.length === 0 || data.length > MAX_DOCUMENTS)
    throw new ArgumentError(`data must hold 1 to ${MAX_DOCUMENTS} documents`);
  if (!data.every((item) => typeof item === "string"))
    throw new ArgumentError("data must be a string or a list of strings");
  const texts = data as string[];

  const decode = booleanArgument(signingParams.decode, "signingParams.decode", true);
  const digested = booleanArgument(signingParams.digested, "signingParams.digested", false);
  const encapsulate = booleanArgument(signingParams.encapsulate, "signingParams.encapsulate", true);
  const tsaProfile = signingParams.tsaProfile;
  if (tsaProfile !== undefined && tsaProfile !== null && !isRecord(tsaProfile))
    throw new ArgumentError("signingParams.tsaProfile must be an object");
  if (format === "xml" && digested) throw new ArgumentError("an XML document cannot be digested");
  if (digested && encapsulate && format === "cms")
    throw new ArgumentError("a digest cannot be encapsulated: set encapsulate to false");

  const documents =
    format === "xml"
      ? []
      : texts.map((text, index) => {
          const bytes =
            decode || digested ? base64Argument(text, `data[${index}]`) : Buffer.from(text, "utf8");
          if (digested && bytes.length !== SHA256_LENGTH)
            throw new ArgumentError(`data[${index}] must be a SHA-256 digest (32 bytes)`);
          return bytes;
        });

  const storages =
    args.allowedStorages === undefined || args.allowedStorages === null
      ? null
      : stringList(args.allowedStorages, "allowedStorages");
  return {
    format,
    single,
    documents,
    xmlDocuments: format === "xml" ? texts : [],
    digested,
    encapsulate,
    timestamp: isRecord(tsaProfile),
    outputCert: booleanArgument(signingParams.outputCert, "signingParams.outputCert", false),
    tbsElementXPath:
      optionalString(signingParams.tbsElementXPath, "signingParams.tbsElementXPath") || undefined,
    signatureParentElementXPath:
      optionalString(
        signingParams.signatureParentElementXPath,
        "signingParams.signatureParentElementXPath",
      ) || undefined,
    storages,
    criteria: parseSignerParams(signerParams),
  };
}

const OID_PATTERN = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const TWELVE_DIGITS = /^[0-9]{12}$/;

function parseSignerParams(params: Record<string, unknown>): SignJob["criteria"] {
  if (params.extKeyUsageOids === undefined)
    throw new ArgumentError("signerParams.extKeyUsageOids is required");
  const extKeyUsageOids = stringList(params.extKeyUsageOids, "signerParams.extKeyUsageOids");
  for (const oid of extKeyUsageOids)
    if (!OID_PATTERN.test(oid)) throw new ArgumentError(`not an OID: ${oid}`);
  const iin = optionalString(params.iin, "signerParams.iin") || undefined;
  const bin = optionalString(params.bin, "signerParams.bin") || undefined;
  if (iin && !TWELVE_DIGITS.test(iin)) throw new ArgumentError("signerParams.iin must be 12 digits");
  if (bin && !TWELVE_DIGITS.test(bin)) throw new ArgumentError("signerParams.bin must be 12 digits");
  const serialNumber = optionalString(params.serialNumber, "signerParams.serialNumber") || undefined;
  if (serialNumber && !/^[0-9a-fA-F]{1,64}$/.test(serialNumber))
    throw new ArgumentError("signerParams.serialNumber must be hexadecimal");
  const chain =
    params.chain === undefined || params.chain === null ? [] : stringList(params.chain, "signerParams.chain");
  return {
    extKeyUsageOids,
    ...(iin ? { iin } : {}),
    ...(bin ? { bin } : {}),
    ...(serialNumber ? { serialNumber } : {}),
    chain: chain.map((pem, index) => {
      try {
        return fromPemOrDer(pem, ["CERTIFICATE"], `signerParams.chain[${index}]`);
      } catch (error) {
        throw new ArgumentError(
          error instanceof InputError ? error.message : `signerParams.chain[${index}] is not a certificate`,
        );
      }
    }),
  };
}

export function previewsOf(job: SignJob): DocumentPreview[] {
  if (job.format === "xml") return job.xmlDocuments.map(xmlPreviewOf);
  return job.documents.map((document) => (job.digested ? digestPreviewOf(document) : previewOf(document)));
}

export function describeJob(job: SignJob): string {
  const count = job.format === "xml" ? job.xmlDocuments.length : job.documents.length;
  const what = count === 1 ? "1 document" : `${count} documents`;
  const details =
    job.format === "xml"
      ? "XML signature"
      : job.format === "raw"
        ? "bare signature"
        : `CMS, ${job.encapsulate ? "attached" : "detached"}${job.timestamp ? ", with a time-stamp" : ""}`;
  return `sign ${what}${job.digested ? " (given as digests)" : ""} — ${details}`;
}
