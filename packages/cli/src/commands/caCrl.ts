import { CrlPublisher, openCertificateAuthority, PublishedCrls, readUnlockOptions } from "@qoltanba/ca";
import { InputError } from "@qoltanba/pki";
import { EXIT, required, type Command } from "../command.ts";
import { SECRET_FILE_OPTIONS, SECRET_FILES_USAGE, secretFiles } from "../secretFlags.ts";

export const caCrl: Command = {
  usage: `qoltanba ca crl --dir DIR [--delta] [--password-file FILE | --token-pin-file TOKEN=FILE | --pin-file FILE] > issuing.crl

  With the key password (for a CA on an HSM, the PIN of the issuing key's token) a new CRL is
  signed and published; without it the newest CRL in the database is written, if it is still current.
${SECRET_FILES_USAGE}`,
  options: { dir: { type: "string" }, delta: { type: "boolean" }, ...SECRET_FILE_OPTIONS },
  async run(values) {
    const dir = required(values, "dir");
    const kind = values.delta ? "delta" : "full";
    const unlock = await readUnlockOptions(dir, secretFiles(values), false);
    const unlocked = unlock !== undefined;
    const ca = await openCertificateAuthority(dir, unlock ?? {});
    try {
      if (unlocked) await new CrlPublisher(ca).generate(kind);
      const crl = await new PublishedCrls(ca).current(kind);
      try {
        if (!crl || crl.nextUpdate < new Date()) {
          throw new InputError("no_current_crl", `no current ${kind} CRL is published: give the key password to sign one`);
        }
        process.stdout.write(await crl.file.readFile());
      } finally {
        await crl?.file.close();
      }
      return EXIT.ok;
    } finally {
      await ca.close();
    }
  },
};
