import { initCertificateAuthority, readKeyPassword } from "@qoltanba/ca";
import { EXIT, required, UsageError, type Command } from "../command.ts";

export const caInit: Command = {
  usage: `qoltanba ca init --dir DIR [--db URL] [--base-url URL] [--password-file FILE]
                        [--root-cn NAME] [--issuing-cn NAME] [--organization NAME]
                        [--issuing-key-bits 2048|3072|4096] [--accept-test-iin]

  --dir DIR              the CA folder (created; must be empty)
  --db URL               sqlite:PATH (default sqlite:ca.sqlite in DIR) or postgres://HOST/DB[?schema=NAME]
  --base-url URL         where the CA publishes (default http://127.0.0.1:8080): CRL, OCSP, TSA, AIA and CPS URLs derive from it
  --password-file FILE   the key password (first line); otherwise env QOLTANBA_KEY_PASSWORD (never a flag)
  --accept-test-iin      NCA-style test mode: accept the public test IIN 123456789011`,
  options: {
    dir: { type: "string" },
    db: { type: "string" },
    "base-url": { type: "string" },
    "password-file": { type: "string" },
    "root-cn": { type: "string" },
    "issuing-cn": { type: "string" },
    organization: { type: "string" },
    "issuing-key-bits": { type: "string" },
    "accept-test-iin": { type: "boolean" },
  },
  async run(values) {
    const bits = values["issuing-key-bits"] === undefined ? 2048 : Number(values["issuing-key-bits"]);
    if (bits !== 2048 && bits !== 3072 && bits !== 4096) throw new UsageError("--issuing-key-bits must be 2048, 3072 or 4096");
    const dir = required(values, "dir");
    const config = await initCertificateAuthority({
      dir,
      password: await readKeyPassword(values["password-file"] as string | undefined),
      ...(values.db ? { databaseUrl: values.db as string } : {}),
      ...(values["base-url"] ? { baseUrl: values["base-url"] as string } : {}),
      names: {
        ...(values["root-cn"] ? { rootCommonName: values["root-cn"] as string } : {}),
        ...(values["issuing-cn"] ? { issuingCommonName: values["issuing-cn"] as string } : {}),
        ...(values.organization ? { organization: values.organization as string } : {}),
      },
      issuingKeyBits: bits,
      acceptTestIin: values["accept-test-iin"] === true,
    });
    process.stderr.write(`CA created in ${dir}, publishing at ${config.baseUrl}\n`);
    return EXIT.ok;
  },
};
