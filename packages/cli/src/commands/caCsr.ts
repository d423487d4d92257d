import { writeFile } from "node:fs/promises";
import { caKeyCertificationRequest, openCertificateAuthority, readUnlockOptions } from "@qoltanba/ca";
import { toPem } from "@qoltanba/pki";
import { EXIT, required, UsageError, type Command } from "../command.ts";
import { SECRET_FILE_OPTIONS, SECRET_FILES_USAGE, secretFiles } from "../secretFlags.ts";

const KEYS = ["issuing", "ocsp", "tsa"] as const;

export const caCsr: Command = {
  usage: `qoltanba ca csr --dir DIR --key issuing|ocsp|tsa [--out FILE]
                [--token-pin-file TOKEN=FILE | --pin-file FILE | --password-file FILE]

  A PKCS#10 request for one of the CA's online keys, signed by that key where it lives (inside the
  HSM for a CA made with --hsm): the offline root certifies it with \`qoltanba ca ceremony sign-issuing\`.
  The subject is the key's current certificate's. It needs the PIN of the token that key is on.
  --out FILE             write the PEM request there (a new file) instead of stdout
${SECRET_FILES_USAGE}`,
  options: { dir: { type: "string" }, key: { type: "string" }, out: { type: "string" }, ...SECRET_FILE_OPTIONS },
  async run(values) {
    const dir = required(values, "dir");
    const key = required(values, "key");
    if (!(KEYS as readonly string[]).includes(key)) throw new UsageError(`--key must be one of ${KEYS.join(", ")}`);
    const unlock = await readUnlockOptions(dir, secretFiles(values), true);
    const ca = await openCertificateAuthority(dir, unlock);
    try {
      const pem = toPem("CERTIFICATE REQUEST", await caKeyCertificationRequest(ca, key as (typeof KEYS)[number]));
      if (values.out) await writeFile(values.out as string, pem, { flag: "wx" });
      else process.stdout.write(pem);
    } finally {
      await ca.close();
    }
    return EXIT.ok;
  },
};
