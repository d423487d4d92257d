// Enveloped XMLDSig as NCALayer's signXml makes it, over pki's signXml.
import { parseXml, signXml } from "@qoltanba/pki";
import type { SelectedKey } from "../keys/selectKey.ts";

export interface XmlJob {
  xml: string;
  tbsElementXPath: string | undefined;
  signatureParentElementXPath: string | undefined;
}

export function signXmlDocument(selected: SelectedKey, job: XmlJob): Promise<string> {
  return signXml({
    xml: job.xml,
    signer: { certificate: selected.candidate.facts.der, key: selected.signingKey },
    ...(job.tbsElementXPath ? { tbsElementXPath: job.tbsElementXPath } : {}),
    ...(job.signatureParentElementXPath
      ? { signatureParentElementXPath: job.signatureParentElementXPath }
      : {}),
  });
}

/** Checks that each document is well-formed XML within the limits, before the person is asked anything. */
export function checkXmlDocuments(documents: readonly string[]): void {
  documents.forEach((xml, index) =>
    parseXml(xml, documents.length === 1 ? "the XML document" : `XML document ${index + 1}`),
  );
}
