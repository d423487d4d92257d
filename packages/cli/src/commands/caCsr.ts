import { writeFile } from "node:fs/promises";
import { caKeyCertificationRequest, HSM_PIN_ENV, openCertificateAuthority, PASSWORD_ENV, readUnlockOptions } from "@qoltanba/ca";
import { toPem } from "@qoltanba/pki";
import { EXIT, required, UsageError, type Command } from "../command.ts";

const KEYS = ["issuing", "ocsp", "tsa"] as const;

export const caCsr: Command = {
  usage: `qoltanba ca csr --dir DIR --key issuing|ocsp|tsa [--out FILE] [--pin-file FILE | --password-file FILE]

  A PKCS#10 request for one of the CA's online keys, signed by that key where it lives (inside the
  HSM for a CA made with --hsm): the offline root certifies it with \`qoltanba ca ceremony sign-issuing\`.
  The subject is the key's current certificate's. The PIN comes from --pin-file or ${HSM_PIN_ENV}
  (the key password for key files: --password-file or ${PASSWORD_ENV}).
  --out FILE   write the PEM request there (a new file) instead of stdout`,
  options: { dir: { type: "string" }, key: { type: "string" }, out: { type: "string" }, "pin-file": { type: "string" }, "password-file": { type: "string" } },
  async run(values) {
    const dir = required(values, "dir");
    const key = required(values, "key");
    if (!(KEYS as readonly string[]).includes(key)) throw new UsageError(`--key must be one of ${KEYS.join(", ")}`);
    const unlock = await readUnlockOptions(dir, { passwordFile: values["password-file"] as string | undefined, pinFile: values["pin-file"] as string | undefined }, true);
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
