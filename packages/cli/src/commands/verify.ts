import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import {
  allFromPemOrDer,
  fromPemDerOrBase64,
  fromPemOrDer,
  InputError,
  REVOCATION_MODES,
  type RevocationMode,
  verifyCertificate,
  verifyCms,
  verifyCrlFile,
  verifyOcspResponseFile,
  verifyTimeStamp,
  type VerifyOptions,
} from "@qoltanba/pki";
import { EXIT, UsageError, type Command } from "../command.ts";
import { httpRevocationSources } from "../relyingParty/http.ts";
import { type AnyVerdict, formatVerdict } from "../relyingParty/report.ts";

export const TRUST_DIR_ENV = "QOLTANBA_TRUST_DIR";
const KINDS = ["cert", "crl", "ocsp", "tsr", "cms"] as const;
type Kind = (typeof KINDS)[number];
const CERTIFICATE_FILES = new Set([".pem", ".crt", ".cer", ".der"]);

async function readInput(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new InputError("unreadable_file", `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

const readCertificates = async (path: string) => allFromPemOrDer(await readInput(path), ["CERTIFICATE"], path);

async function trustAnchors(files: readonly string[]): Promise<Buffer[]> {
  if (files.length > 0) return (await Promise.all(files.map(readCertificates))).flat();
  const dir = process.env[TRUST_DIR_ENV];
  if (!dir) throw new UsageError(`no trust anchors: give --trust FILE or set ${TRUST_DIR_ENV} to a folder of root certificates`);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => CERTIFICATE_FILES.has(extname(name).toLowerCase()));
  } catch {
    throw new UsageError(`${TRUST_DIR_ENV}=${dir} is not a readable folder`);
  }
  const anchors = (await Promise.all(names.sort().map((name) => readCertificates(join(dir, name))))).flat();
  if (anchors.length === 0) throw new UsageError(`${TRUST_DIR_ENV}=${dir} holds no certificates (.pem, .crt, .cer, .der)`);
  return anchors;
}

/** ISO 8601: a date (midnight UTC) or a date and time, UTC unless an offset is given. */
export function parseTime(text: string): Date {
  const match = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
  const date = match ? new Date(text.length === 10 ? `${text}T00:00:00Z` : match[1] ? text : `${text}Z`) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new UsageError(`--at must be an ISO 8601 date or time such as 2019-01-01 or 2019-01-01T12:00:00Z, got ${text}`);
  return date;
}

const list = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);

export const verify: Command = {
  usage: `qoltanba verify cert|crl|ocsp|tsr|cms FILE [--at TIME] [--trust FILE]... [--untrusted FILE]...
         [--revocation auto|ocsp|crl|both|none] [--crl FILE]... [--ocsp-url URL]
         [--content FILE] [--issuer FILE] [--json]

  Builds the chain from FILE's certificate (a CRL's or OCSP response's issuer, a time-stamp's
  TSA, each CMS signer) to a trusted root, checks validity at --at (default: now; a time-stamp's
  own time; an OCSP response's production time) and revocation, and prints the verdict.
  Files are PEM or DER; OCSP responses, time-stamps and CMS may also be base64.

  --trust FILE        trusted root certificates (PEM bundles too); default: the folder ${TRUST_DIR_ENV}
  --untrusted FILE    intermediate certificates; missing ones are fetched from authorityInfoAccess
  --revocation MODE   auto (default): OCSP, falling back to CRLs; ocsp or crl only; both; none.
                      CA certificates above the checked one are checked with their CRLs.
  --crl FILE          CRLs to use instead of fetching the distribution points
  --ocsp-url URL      ask this OCSP responder instead of the one the certificate names
  --content FILE      the signed content of a detached CMS; the time-stamped data of a tsr
  --issuer FILE       the issuer of the certificate an OCSP response is about
  --json              the verdict as JSON

  Exit status: 0 valid; 1 invalid, revoked, unknown or unsupported (GOST); 2 usage or input error.`,
  options: {
    at: { type: "string" },
    trust: { type: "string", multiple: true },
    untrusted: { type: "string", multiple: true },
    revocation: { type: "string" },
    crl: { type: "string", multiple: true },
    "ocsp-url": { type: "string" },
    content: { type: "string" },
    issuer: { type: "string" },
    json: { type: "boolean" },
  },
  allowPositionals: true,
  async run(values, positionals) {
    const [kind, file, ...extra] = positionals;
    if (!kind || !(KINDS as readonly string[]).includes(kind)) throw new UsageError(`say what to verify: ${KINDS.join(", ")}`);
    if (!file || extra.length > 0) throw new UsageError(`give exactly one FILE to verify`);
    const mode = (values.revocation as string | undefined) ?? "auto";
    if (!(REVOCATION_MODES as readonly string[]).includes(mode)) throw new UsageError(`--revocation must be one of ${REVOCATION_MODES.join(", ")}`);
    const ocspUrl = values["ocsp-url"] as string | undefined;
    const crls = await Promise.all(list(values.crl).map(async (path) => fromPemOrDer(await readInput(path), ["X509 CRL"], path)));
    const options: VerifyOptions = {
      trusted: await trustAnchors(list(values.trust)),
      untrusted: (await Promise.all(list(values.untrusted).map(readCertificates))).flat(),
      ...(values.at ? { at: parseTime(values.at as string) } : {}),
      revocation: mode as RevocationMode,
      sources: httpRevocationSources({ crls, ...(ocspUrl ? { ocspUrl } : {}) }),
    };
    const content = values.content ? await readInput(values.content as string) : undefined;
    const verdict = await verifyKind(kind as Kind, await readInput(file), file, options, content, values.issuer as string | undefined);
    process.stdout.write(values.json ? `${JSON.stringify(verdict, null, 2)}\n` : formatVerdict(verdict));
    return verdict.verdict === "valid" ? EXIT.ok : EXIT.problem;
  },
};

async function verifyKind(kind: Kind, input: Buffer, file: string, options: VerifyOptions, content: Buffer | undefined, issuer: string | undefined): Promise<AnyVerdict> {
  if (content && kind !== "cms" && kind !== "tsr") throw new UsageError("--content goes with cms or tsr");
  if (issuer && kind !== "ocsp") throw new UsageError("--issuer goes with ocsp");
  switch (kind) {
    case "cert":
      return verifyCertificate(fromPemOrDer(input, ["CERTIFICATE"], file), options);
    case "crl":
      return verifyCrlFile(fromPemOrDer(input, ["X509 CRL"], file), options);
    case "ocsp":
      return verifyOcspResponseFile(fromPemDerOrBase64(input, ["OCSP RESPONSE"], file), {
        ...options,
        ...(issuer ? { issuer: fromPemOrDer(await readInput(issuer), ["CERTIFICATE"], issuer) } : {}),
      });
    case "tsr":
      return verifyTimeStamp(fromPemDerOrBase64(input, ["PKCS7", "CMS"], file), { ...options, ...(content ? { content } : {}) });
    case "cms":
      return verifyCms(fromPemDerOrBase64(input, ["CMS", "PKCS7"], file), { ...options, ...(content ? { detachedContent: content } : {}) });
  }
}
