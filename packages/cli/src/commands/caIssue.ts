import { readFile, writeFile } from "node:fs/promises";
import { CertificateIssuer, openCertificateAuthority, readUnlockOptions } from "@qoltanba/ca";
import { InputError, toPem } from "@qoltanba/pki";
import { EXIT, required, UsageError, type Command } from "../command.ts";
import { SECRET_FILE_OPTIONS, SECRET_FILES_USAGE, secretFiles } from "../secretFlags.ts";

async function readInput(path: string, what: string): Promise<Buffer> {
  return readFile(path).catch(() => {
    throw new InputError("unreadable_file", `cannot read the ${what} file ${path}`);
  });
}

export const caIssue: Command = {
  usage: `qoltanba ca issue --dir DIR --csr FILE --profile NAME --subject FILE [--storage file|token] [--out FILE]
                  [--password-file FILE | --token-pin-file TOKEN=FILE... | --pin-file FILE]

  --profile NAME    individual-auth, individual-sign, legal-auth, legal-sign or tls-server
  --subject FILE    JSON {"iin","surname","givenName","patronymic"?,"email"?,"locality"?,"region"?}
                    plus "organization","bin","role" for legal entities; {"dnsNames":[…]} for tls-server
  --storage         where the key lives: file (1 year, default) or token (3 years)
  --out FILE        write the PEM certificate there instead of stdout
${SECRET_FILES_USAGE}`,
  options: {
    dir: { type: "string" },
    csr: { type: "string" },
    profile: { type: "string" },
    subject: { type: "string" },
    storage: { type: "string" },
    out: { type: "string" },
    ...SECRET_FILE_OPTIONS,
  },
  async run(values) {
    const storage = (values.storage as string | undefined) ?? "file";
    if (storage !== "file" && storage !== "token") throw new UsageError("--storage must be file or token");
    const csr = await readInput(required(values, "csr"), "CSR");
    const subjectText = await readInput(required(values, "subject"), "subject");
    let subject: unknown;
    try {
      subject = JSON.parse(subjectText.toString("utf8"));
    } catch {
      throw new InputError("subject_not_json", `the subject file ${values.subject} is not valid JSON`);
    }
    const profile = required(values, "profile");
    const dir = required(values, "dir");
    const unlock = await readUnlockOptions(dir, secretFiles(values), true);
    const ca = await openCertificateAuthority(dir, unlock);
    try {
      const issued = await new CertificateIssuer(ca).issueCertificate({ csr, profile, subject, storage });
      const pem = toPem("CERTIFICATE", issued.certificate);
      if (values.out) await writeFile(values.out as string, pem, { flag: "wx" });
      else process.stdout.write(pem);
      process.stderr.write(`issued ${issued.profile} certificate, serial ${issued.serial}, valid until ${issued.notAfter.toISOString()}\n`);
    } finally {
      await ca.close();
    }
    return EXIT.ok;
  },
};
