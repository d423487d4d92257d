import { readFile } from "node:fs/promises";
import { CrlPublisher, crlFilePath, openCertificateAuthority, PASSWORD_ENV, readKeyPassword } from "@qoltanba/ca";
import { InputError } from "@qoltanba/pki";
import { EXIT, required, type Command } from "../command.ts";

export const caCrl: Command = {
  usage: `qoltanba ca crl --dir DIR [--delta] [--password-file FILE] > issuing.crl

  With the key password (--password-file or ${PASSWORD_ENV}) a new CRL is signed and published;
  without it the CRL last published is written, if it is still current.`,
  options: { dir: { type: "string" }, delta: { type: "boolean" }, "password-file": { type: "string" } },
  async run(values) {
    const dir = required(values, "dir");
    const kind = values.delta ? "delta" : "full";
    const unlocked = values["password-file"] !== undefined || Boolean(process.env[PASSWORD_ENV]);
    const ca = await openCertificateAuthority(dir, unlocked ? { password: await readKeyPassword(values["password-file"] as string | undefined) } : {});
    try {
      if (unlocked) {
        await new CrlPublisher(ca).generate(kind);
      } else {
        const latest = await ca.store.latestCrl(kind);
        if (!latest || latest.nextUpdate < new Date()) {
          throw new InputError("no_current_crl", `no current ${kind} CRL is published: give the key password to sign one`);
        }
      }
      process.stdout.write(await readFile(crlFilePath(dir, kind)));
      return EXIT.ok;
    } finally {
      await ca.close();
    }
  },
};
