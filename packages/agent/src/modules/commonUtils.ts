// kz.gov.pki.knca.commonUtils: positional args, replies {code:"200", responseObject} or
// {code:"500", message}; the person cancelling is {code:"500", message:"action.canceled"}.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { certificatePem, commonNameOf, formatName } from "../keys/certificateFacts.ts";
import { selectKey } from "../keys/selectKey.ts";
import { ArgumentError, stringArgument } from "../protocol/arguments.ts";
import {
  commonUtilsCancelled,
  commonUtilsFailure,
  type CommonUtilsReply,
  commonUtilsSuccess,
  type KeyInfo,
  type ModuleRequest,
} from "../protocol/messages.ts";
import type { Session } from "../session.ts";
import { applyCAdEST, fromBase64, fromBase64Hash, fromFile } from "./commonUtilsCms.ts";
import { storageArgument, summary } from "./commonUtilsArguments.ts";
import { signXmlMethod, signXmlsMethod } from "./commonUtilsXml.ts";
import { commonUtilsError } from "./replyErrors.ts";

type Handler = (args: unknown[], session: Session) => Promise<CommonUtilsReply>;

const LOCALES = new Set(["kk", "kz", "ru", "en"]);

export async function handleCommonUtils(request: ModuleRequest, session: Session): Promise<CommonUtilsReply> {
  const handler = Object.hasOwn(HANDLERS, request.method) ? HANDLERS[request.method] : undefined;
  let reply: CommonUtilsReply;
  if (!handler) {
    reply = commonUtilsFailure(`method not found: ${request.method}`);
  } else {
    try {
      const args = request.args ?? [];
      if (!Array.isArray(args)) throw new ArgumentError("args must be a list");
      reply = await handler(args, session);
    } catch (error) {
      reply = commonUtilsError(request.method, error);
    }
  }
  return typeof request.uuid === "string" ? { ...reply, uuid: request.uuid } : reply;
}

async function getKeyInfo(args: unknown[], session: Session): Promise<CommonUtilsReply<KeyInfo>> {
  const storage = storageArgument(args[0]);
  const selected = await selectKey(
    session.agent,
    [storage],
    {},
    summary(session, "show the certificate of one of your keys"),
  );
  if (!selected) return commonUtilsCancelled();
  const { facts, alias } = selected.candidate;
  return commonUtilsSuccess({
    alias,
    keyId: facts.keyId,
    algorithm: facts.publicKeyAlgorithm,
    subjectCn: commonNameOf(facts.subject),
    subjectDn: formatName(facts.subject),
    issuerCn: commonNameOf(facts.issuer),
    issuerDn: formatName(facts.issuer),
    serialNumber: facts.serialNumber.toLowerCase(),
    certNotBefore: String(facts.notBefore.getTime()),
    certNotAfter: String(facts.notAfter.getTime()),
    authorityKeyIdentifier: facts.authorityKeyId,
    pem: certificatePem(facts),
  });
}

async function getActiveTokens(_args: unknown[], session: Session): Promise<CommonUtilsReply<string[]>> {
  const present: string[] = [];
  for (const store of session.agent.stores)
    if (store.hardware && (await store.present())) present.push(store.name);
  return commonUtilsSuccess(present);
}

async function showFileChooser(args: unknown[], session: Session): Promise<CommonUtilsReply<string>> {
  const extension = args[0] === undefined || args[0] === null ? "" : stringArgument(args[0], "extension");
  const startDir =
    args[1] === undefined || args[1] === null ? undefined : stringArgument(args[1], "startDir");
  const extensions = extension
    .split(/[,;\s]+/)
    .map((item) => item.replace(/^\*?\./, ""))
    .filter(Boolean);
  const chosen = await session.agent.dialogs.chooseFile({
    request: summary(session, "choose a file for the page to have signed"),
    title: "Choose a file to sign",
    extensions,
    ...(startDir && existsSync(startDir) && statSync(startDir).isDirectory() ? { startDir } : {}),
  });
  if (chosen === undefined) return commonUtilsCancelled();
  const path = resolve(chosen);
  session.chosenFiles.add(path);
  return commonUtilsSuccess(path);
}

/** Accepted for compatibility; the agent's dialogs follow the desktop's language, not the page's. */
async function changeLocale(args: unknown[]): Promise<CommonUtilsReply> {
  const locale = stringArgument(args[0], "locale");
  if (!LOCALES.has(locale)) throw new ArgumentError(`unknown locale ${locale}`);
  return commonUtilsSuccess();
}

const HANDLERS: Record<string, Handler> = {
  getActiveTokens,
  getKeyInfo,
  createCAdESFromBase64: fromBase64(false),
  createCMSSignatureFromBase64: fromBase64(true),
  createCAdESFromBase64Hash: fromBase64Hash,
  createCAdESFromFile: fromFile(false),
  createCMSSignatureFromFile: fromFile(true),
  applyCAdEST,
  signXml: signXmlMethod,
  signXmls: signXmlsMethod,
  showFileChooser,
  changeLocale,
};
