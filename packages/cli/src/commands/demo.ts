import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { configPath, initCertificateAuthority, PASSWORD_ENV, publicationUrls, readCaConfig } from "@qoltanba/ca";
import { DEMO_PERSONS_FILE } from "@qoltanba/portal";
import { EXIT, type Command } from "../command.ts";
import { DEFAULT_LISTEN, serveCa } from "./serve.ts";

const DEMO_PASSWORD_FILE = "demo-password";

export const demo: Command = {
  usage: `qoltanba demo [--dir DIR] [--listen HOST:PORT]

  --dir DIR      the CA folder (default ./qoltanba-ca); created on first run
  --listen       default ${DEFAULT_LISTEN}
  The key password comes from ${PASSWORD_ENV} when set; otherwise a random one is made and kept in
  DIR/${DEMO_PASSWORD_FILE} (readable only by you) — fine for a demo, not for a real CA.`,
  options: { dir: { type: "string" }, listen: { type: "string" } },
  async run(values) {
    const dir = (values.dir as string | undefined) ?? "qoltanba-ca";
    const listen = (values.listen as string | undefined) ?? DEFAULT_LISTEN;
    const passwordFile = process.env[PASSWORD_ENV] ? undefined : join(dir, DEMO_PASSWORD_FILE);
    if (!existsSync(configPath(dir))) {
      const password = process.env[PASSWORD_ENV] ?? randomBytes(24).toString("base64url");
      process.stderr.write(`creating a demo CA in ${dir} (RSA-4096 root: a few seconds)…\n`);
      await initCertificateAuthority({ dir, password, baseUrl: `http://${listen}`, acceptTestIin: true });
      if (passwordFile) await writeFile(passwordFile, password + "\n", { mode: 0o600 });
    }
    const urls = publicationUrls((await readCaConfig(dir)).baseUrl);
    process.env.QOLTANBA_PERSONS ??= DEMO_PERSONS_FILE;
    await serveCa(dir, listen, passwordFile, () =>
      process.stderr.write(
        `Qoltanba demo CA is up (Ctrl-C stops it):\n  enrollment portal    http://${listen}/  (mail: http://${listen}/mail-catcher)\n  root certificate     ${urls.rootCertificate}\n  issuing certificate  ${urls.issuingCertificate}\n  CRL / delta CRL      ${urls.crl} ${urls.deltaCrl}\n`,
      ),
    );
    return EXIT.ok;
  },
};
