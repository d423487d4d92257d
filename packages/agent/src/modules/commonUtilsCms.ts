// commonUtils' CMS methods: CAdES-BES from base64 data or a digest, CAdES-T (createCMSSignature*),
// from a file the person chose, and a time-stamp added to an existing CMS.
import { resolve } from "node:path";
import { InputError } from "@qoltanba/pki";
import type { DocumentPreview } from "../dialogs/dialogs.ts";
import { selectKey } from "../keys/selectKey.ts";
import { ArgumentError, base64Argument, booleanArgument, stringArgument } from "../protocol/arguments.ts";
import {
  COMMON_UTILS_MESSAGES,
  commonUtilsCancelled,
  type CommonUtilsReply,
  commonUtilsSuccess,
} from "../protocol/messages.ts";
import type { Session } from "../session.ts";
import { addTimestamp, type CmsJob, signCms } from "../signing/cmsSignature.ts";
import { fileSize, readAttachableFile, sha256OfFile } from "../signing/fileContent.ts";
import { digestPreviewOf, previewOf } from "../signing/preview.ts";
import { keyTypeArgument, storageArgument, summary } from "./commonUtilsArguments.ts";

const SHA256_LENGTH = 32;

async function signWithChosenKey(
  session: Session,
  args: unknown[],
  operation: string,
  preview: DocumentPreview,
  job: Omit<CmsJob, "tsaUrl">,
): Promise<CommonUtilsReply<string>> {
  const storage = storageArgument(args[0]);
  const keyType = keyTypeArgument(args[1]);
  const selected = await selectKey(
    session.agent,
    [storage],
    { keyType },
    summary(session, operation, [preview]),
  );
  if (!selected) return commonUtilsCancelled();
  const cms = await signCms(selected, { ...job, tsaUrl: session.agent.tsaUrl });
  return commonUtilsSuccess(cms.toString("base64"));
}

const describe = (attached: boolean, timestamp: boolean) =>
  `sign a document (CMS, ${attached ? "attached" : "detached"}${timestamp ? ", with a time-stamp" : ""})`;

export function fromBase64(timestamp: boolean) {
  return async (args: unknown[], session: Session) => {
    const content = base64Argument(args[2], "data");
    const attached = booleanArgument(args[3], "attached", false);
    return signWithChosenKey(session, args, describe(attached, timestamp), previewOf(content), {
      input: { content },
      encapsulate: attached,
      timestamp,
    });
  };
}

export async function fromBase64Hash(args: unknown[], session: Session): Promise<CommonUtilsReply<string>> {
  const digest = base64Argument(args[2], "hash");
  if (digest.length !== SHA256_LENGTH) throw new ArgumentError("hash must be a SHA-256 digest (32 bytes)");
  return signWithChosenKey(
    session,
    args,
    "sign a precomputed digest (CMS, detached)",
    digestPreviewOf(digest),
    {
      input: { digest },
      encapsulate: false,
      timestamp: false,
    },
  );
}

/** Only files the person picked in the agent's own file chooser on this connection. */
export function fromFile(timestamp: boolean) {
  return async (args: unknown[], session: Session) => {
    const path = resolve(stringArgument(args[2], "path"));
    if (!session.chosenFiles.has(path))
      throw new InputError(
        COMMON_UTILS_MESSAGES.fileNotFound,
        "only files chosen in the agent's file chooser can be signed",
      );
    const attached = booleanArgument(args[3], "attached", false);
    const size = await fileSize(path);
    if (attached) {
      const content = await readAttachableFile(path);
      return signWithChosenKey(session, args, `${describe(true, timestamp)}: ${path}`, previewOf(content), {
        input: { content },
        encapsulate: true,
        timestamp,
      });
    }
    const digest = await sha256OfFile(path);
    const preview: DocumentPreview = { kind: "binary", size, sha256: digest.toString("hex") };
    return signWithChosenKey(session, args, `${describe(false, timestamp)}: ${path}`, preview, {
      input: { digest },
      encapsulate: false,
      timestamp,
    });
  };
}

export async function applyCAdEST(args: unknown[], session: Session): Promise<CommonUtilsReply<string>> {
  storageArgument(args[0]);
  keyTypeArgument(args[1]);
  const cms = base64Argument(args[2], "cms");
  return commonUtilsSuccess((await addTimestamp(cms, session.agent.tsaUrl)).toString("base64"));
}
