import { readCaCertificate, CA_KEY_NAMES, type CaKeyName } from "@qoltanba/ca";
import { toPem } from "@qoltanba/pki";
import { EXIT, required, UsageError, type Command } from "../command.ts";

export const caCert: Command = {
  usage: "qoltanba ca cert --dir DIR root|issuing|ocsp|tsa",
  options: { dir: { type: "string" } },
  allowPositionals: true,
  async run(values, positionals) {
    const [name, ...extra] = positionals;
    if (!name || extra.length > 0 || !CA_KEY_NAMES.includes(name as CaKeyName)) {
      throw new UsageError(`name one certificate: ${CA_KEY_NAMES.join(", ")}`);
    }
    process.stdout.write(toPem("CERTIFICATE", await readCaCertificate(required(values, "dir"), name as CaKeyName)));
    return EXIT.ok;
  },
};
