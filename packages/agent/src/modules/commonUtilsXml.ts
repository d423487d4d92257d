// commonUtils' XML methods: signXml and signXmls (enveloped XMLDSig), one key for all documents.
import { selectKey } from "../keys/selectKey.ts";
import { ArgumentError, optionalString, stringArgument, stringList } from "../protocol/arguments.ts";
import { commonUtilsCancelled, type CommonUtilsReply, commonUtilsSuccess } from "../protocol/messages.ts";
import type { Session } from "../session.ts";
import { xmlPreviewOf } from "../signing/preview.ts";
import { checkXmlDocuments, signXmlDocument } from "../signing/xmlSignature.ts";
import { MAX_DOCUMENTS } from "./basicsSignRequest.ts";
import { keyTypeArgument, storageArgument, summary } from "./commonUtilsArguments.ts";

async function signDocuments(
  args: unknown[],
  session: Session,
  documents: string[],
): Promise<string[] | undefined> {
  const storage = storageArgument(args[0]);
  const keyType = keyTypeArgument(args[1]);
  const tbsElementXPath = optionalString(args[3], "tbsElementXPath") || undefined;
  const signatureParentElementXPath = optionalString(args[4], "signatureParentElementXPath") || undefined;
  checkXmlDocuments(documents);
  const what = documents.length === 1 ? "an XML document" : `${documents.length} XML documents`;
  const selected = await selectKey(
    session.agent,
    [storage],
    { keyType },
    summary(session, `sign ${what}`, documents.map(xmlPreviewOf)),
  );
  if (!selected) return undefined;
  const signed: string[] = [];
  for (const xml of documents)
    signed.push(await signXmlDocument(selected, { xml, tbsElementXPath, signatureParentElementXPath }));
  return signed;
}

export async function signXmlMethod(args: unknown[], session: Session): Promise<CommonUtilsReply<string>> {
  const signed = await signDocuments(args, session, [stringArgument(args[2], "xml")]);
  return signed ? commonUtilsSuccess(signed[0]!) : commonUtilsCancelled();
}

export async function signXmlsMethod(args: unknown[], session: Session): Promise<CommonUtilsReply<string[]>> {
  const documents = stringList(args[2], "xmls");
  if (documents.length === 0 || documents.length > MAX_DOCUMENTS)
    throw new ArgumentError(`xmls must hold 1 to ${MAX_DOCUMENTS} documents`);
  const signed = await signDocuments(args, session, documents);
  return signed ? commonUtilsSuccess(signed) : commonUtilsCancelled();
}
