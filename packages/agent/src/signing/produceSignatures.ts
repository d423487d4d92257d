// Signs each document of a job with the chosen key, in the job's format.
import { toPem } from "@qoltanba/pki";
import type { SelectedKey } from "../keys/selectKey.ts";
import type { SignJob } from "../modules/basicsSignRequest.ts";
import type { AgentContext } from "../session.ts";
import { signCms } from "./cmsSignature.ts";
import { signRaw } from "./rawSignature.ts";
import { signXmlDocument } from "./xmlSignature.ts";

export async function produceSignatures(
  job: SignJob,
  selected: SelectedKey,
  agent: AgentContext,
): Promise<string[]> {
  const key = selected.signingKey;
  switch (job.format) {
    case "cms": {
      const signatures: string[] = [];
      for (const document of job.documents) {
        const cms = await signCms(selected, {
          input: job.digested ? { digest: document } : { content: document },
          encapsulate: job.encapsulate,
          timestamp: job.timestamp,
          tsaUrl: agent.tsaUrl,
        });
        signatures.push(toPem("CMS", cms));
      }
      return signatures;
    }
    case "raw": {
      const signatures: string[] = [];
      for (const document of job.documents) {
        const signature = await signRaw(key, job.digested ? { digest: document } : { data: document });
        signatures.push(signature.toString("base64"));
      }
      return signatures;
    }
    case "xml": {
      const signed: string[] = [];
      for (const xml of job.xmlDocuments) {
        signed.push(
          await signXmlDocument(selected, {
            xml,
            tbsElementXPath: job.tbsElementXPath,
            signatureParentElementXPath: job.signatureParentElementXPath,
          }),
        );
      }
      return signed;
    }
  }
}
