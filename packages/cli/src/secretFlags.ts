import { HSM_PIN_ENV, PASSWORD_ENV, TOKEN_PIN_FLAG, type SecretFiles } from "@qoltanba/ca";

/** The flags naming the files that hold a CA's key password or HSM PINs: never the secrets themselves. */
export const SECRET_FILE_OPTIONS = {
  "password-file": { type: "string" },
  "pin-file": { type: "string" },
  "token-pin-file": { type: "string", multiple: true },
} as const;

export const SECRET_FILES_USAGE = `  --password-file FILE   the key password (first line) of a CA with key files; or ${PASSWORD_ENV}
  ${TOKEN_PIN_FLAG} TOKEN=FILE
                         for a CA on an HSM: the PIN (first line) of one token this node logs in to,
                         once per token; or ${HSM_PIN_ENV}_TOKEN (the label upper-cased, other
                         characters than letters and digits as _). Only the keys on those tokens sign
  --pin-file FILE        the PIN of a CA whose keys are all on one token; or ${HSM_PIN_ENV}`;

export const secretFiles = (values: Record<string, unknown>): SecretFiles => ({
  passwordFile: values["password-file"] as string | undefined,
  pinFile: values["pin-file"] as string | undefined,
  tokenPinFiles: values["token-pin-file"] as string[] | undefined,
});
