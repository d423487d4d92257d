// kz.gov.pki.knca.basics: sign (cms, xml, raw) and Qoltanba's enrollment methods generateCsr and
// importCertificate. Replies {status:true, body:{result}}, cancelled {status:true, body:{}},
// errors {status:false, code, message, details}.
import { InputError, toPem } from "@qoltanba/pki";
import {
  generateKeys,
  importCertificates,
  importedCertificate,
  KEY_ROLES,
  type KeyRole,
} from "../keys/enrollment.ts";
import { selectKey } from "../keys/selectKey.ts";
import { ArgumentError, isRecord, stringArgument, stringList } from "../protocol/arguments.ts";
import {
  basicsCancelled,
  basicsFailure,
  type BasicsReply,
  basicsSuccess,
  FILE_STORAGE,
  type GenerateCsrResult,
  HARDWARE_STORAGES,
  type ImportCertificateResult,
  type ModuleRequest,
} from "../protocol/messages.ts";
import type { Session } from "../session.ts";
import { generateTokenKeys, importTokenCertificates } from "../tokens/tokenEnrollment.ts";
import type { HardwareStorage } from "../tokens/tokenProfiles.ts";
import { produceSignatures } from "../signing/produceSignatures.ts";
import { checkXmlDocuments } from "../signing/xmlSignature.ts";
import { describeJob, InvocationError, parseSignArgs, previewsOf } from "./basicsSignRequest.ts";
import { basicsError } from "./replyErrors.ts";

export async function handleBasics(request: ModuleRequest, session: Session): Promise<BasicsReply> {
  switch (request.method) {
    case "sign":
      return guarded("SIGNING_FAILURE", () => sign(request.args, session));
    case "generateCsr":
      return guarded("CSR_GENERATING_FAILURE", () => generateCsr(request.args, session));
    case "importCertificate":
      return guarded("CERTIFICATE_IMPORTING_FAILURE", () => importCertificate(request.args, session));
    default:
      return basicsFailure(
        "INVOCATION_ERROR",
        "An invoked method threw an exception.",
        `no method ${request.method}`,
      );
  }
}

async function guarded(
  failureCode: Parameters<typeof basicsError>[0],
  run: () => Promise<BasicsReply>,
): Promise<BasicsReply> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof InvocationError)
      return basicsFailure("INVOCATION_ERROR", "An invoked method threw an exception.", error.message);
    if (
      error instanceof InputError &&
      ["invalid_certificate", "certificate_matches_no_key"].includes(error.code)
    ) {
      return basicsFailure("INVALID_IMPORTING_CERTIFICATE", error.message, error.code);
    }
    return basicsError(failureCode, error);
  }
}

async function sign(args: unknown, session: Session): Promise<BasicsReply> {
  const job = parseSignArgs(args);
  checkXmlDocuments(job.xmlDocuments);
  const request = { origin: session.origin, operation: describeJob(job), documents: previewsOf(job) };
  const selected = await selectKey(session.agent, job.storages, { keyType: "ANY", ...job.criteria }, request);
  if (!selected) return basicsCancelled();
  const signatures = await produceSignatures(job, selected, session.agent);
  const signed = job.single && job.format !== "xml" ? signatures[0]! : signatures;
  return basicsSuccess(
    job.outputCert
      ? { signatures: signed, certificate: toPem("CERTIFICATE", selected.candidate.facts.der) }
      : signed,
  );
}

const APPLICATION_ID = /^[A-Za-z0-9._-]{1,64}$/;

const isHardwareStorage = (storage: unknown): storage is HardwareStorage =>
  (HARDWARE_STORAGES as readonly unknown[]).includes(storage);

function enrollmentArgs(args: unknown): {
  applicationId: string;
  /** Undefined: key files. */
  token: HardwareStorage | undefined;
  input: Record<string, unknown>;
} {
  if (!isRecord(args)) throw new InvocationError("args is not a JSON object");
  if (args.storage !== FILE_STORAGE && !isHardwareStorage(args.storage))
    throw new ArgumentError(`storage must be "${FILE_STORAGE}" or one of ${HARDWARE_STORAGES.join(", ")}`);
  const applicationId = stringArgument(args.applicationId, "applicationId");
  if (!APPLICATION_ID.test(applicationId))
    throw new ArgumentError("applicationId must be 1 to 64 letters, digits, dots, dashes or underscores");
  return { applicationId, token: isHardwareStorage(args.storage) ? args.storage : undefined, input: args };
}

async function generateCsr(args: unknown, session: Session): Promise<BasicsReply<GenerateCsrResult>> {
  const { applicationId, token, input } = enrollmentArgs(args);
  const roles = input.keys === undefined ? KEY_ROLES : stringList(input.keys, "keys");
  if (
    roles.length === 0 ||
    new Set(roles).size !== roles.length ||
    !roles.every((role) => (KEY_ROLES as string[]).includes(role))
  ) {
    throw new ArgumentError('keys must list "AUTH" and/or "SIGN", each once');
  }
  const agent = session.agent;
  const request = {
    origin: session.origin,
    operation: `create new keys (${roles.join(", ")}) for application ${applicationId}`,
    documents: [],
  };
  if (token) {
    const csrs = await generateTokenKeys(agent, token, roles as KeyRole[], request);
    return csrs ? basicsSuccess({ csrs }) : basicsCancelled();
  }
  const startDir = await agent.keyStorage.folderOf(session.origin, applicationId);
  const generated = await generateKeys(agent, {
    applicationId,
    roles: roles as KeyRole[],
    request,
    ...(startDir ? { startDir } : {}),
  });
  if (!generated) return basicsCancelled();
  await agent.keyStorage.remember(session.origin, applicationId, generated.folder);
  return basicsSuccess({ csrs: generated.csrs });
}

async function importCertificate(
  args: unknown,
  session: Session,
): Promise<BasicsReply<ImportCertificateResult>> {
  const { applicationId, token, input } = enrollmentArgs(args);
  const texts = stringList(input.certificates, "certificates");
  if (texts.length === 0 || texts.length > KEY_ROLES.length)
    throw new ArgumentError(`certificates must hold 1 to ${KEY_ROLES.length} certificates`);
  const certificates = texts.map((text, index) => importedCertificate(text, `certificates[${index}]`));
  const chain = (input.chain === undefined ? [] : stringList(input.chain, "chain")).map(
    (text, index) => importedCertificate(text, `chain[${index}]`).der,
  );
  const agent = session.agent;
  const request = {
    origin: session.origin,
    operation: `install ${certificates.length === 1 ? "a certificate" : `${certificates.length} certificates`} for application ${applicationId}`,
    documents: [],
  };
  if (token) {
    const imported = await importTokenCertificates(agent, token, certificates, chain, request);
    return imported ? basicsSuccess({ imported }) : basicsCancelled();
  }
  const changeFolder = input.changeFolder ?? false;
  if (typeof changeFolder !== "boolean") throw new ArgumentError("changeFolder must be true or false");
  const remembered = await agent.keyStorage.folderOf(session.origin, applicationId);
  const chooseFolder = () =>
    agent.dialogs.chooseFolder({
      request,
      title: "Choose the folder where your new keys are",
      ...(remembered ? { startDir: remembered } : {}),
    });
  const folder = changeFolder
    ? await chooseFolder()
    : (remembered ?? agent.presetKeyFolder?.dir ?? (await chooseFolder()));
  if (folder === undefined) return basicsCancelled();
  const imported = await importCertificates(agent, { folder, certificates, chain, request });
  if (!imported) return basicsCancelled();
  await agent.keyStorage.remember(session.origin, applicationId, folder);
  return basicsSuccess({ imported });
}
