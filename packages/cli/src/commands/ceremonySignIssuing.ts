import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { PASSWORD_ENV, readKeyPassword, signIssuingCertificate } from "@qoltanba/ca";
import { InputError, toPem } from "@qoltanba/pki";
import { EXIT, required, type Command } from "../command.ts";

export const ceremonySignIssuing: Command = {
  usage: `qoltanba ca ceremony sign-issuing --root ROOTDIR --dir DIR --csr FILE --out FILE [--password-file FILE]

  Key ceremony, on the offline machine: the offline root (ROOTDIR, made by \`ca init --root-offline\`)
  certifies the issuing CA's key from a request signed by that key (\`qoltanba ca csr --key issuing\`,
  made on the HSM). The certificate keeps the current issuing CA's name; the URLs and policy come
  from DIR's ca.json. The use of the root key is appended to DIR's audit log. See docs/key-ceremony.md.
  --root ROOTDIR        the offline root folder (root.key.pem, root.pem, root.json)
  --dir DIR             the CA folder (its ca.json, certificates and audit log)
  --csr FILE            the PKCS#10 request (PEM or DER)
  --out FILE            where the PEM certificate goes (a new file)
  --password-file FILE  the root key's password (first line); otherwise env ${PASSWORD_ENV}`,
  options: { root: { type: "string" }, dir: { type: "string" }, csr: { type: "string" }, out: { type: "string" }, "password-file": { type: "string" } },
  async run(values) {
    const rootDir = required(values, "root");
    const dir = required(values, "dir");
    const csrPath = required(values, "csr");
    const out = required(values, "out");
    const csr = await readFile(csrPath).catch(() => {
      throw new InputError("unreadable_file", `cannot read the CSR file ${csrPath}`);
    });
    const password = await readKeyPassword(values["password-file"] as string | undefined);
    const certificate = await signIssuingCertificate(dir, rootDir, password, csr);
    await writeFile(out, toPem("CERTIFICATE", certificate), { flag: "wx" });
    process.stderr.write(`issuing CA certificate written to ${out}, SHA-256 ${createHash("sha256").update(certificate).digest("hex")}\n`);
    return EXIT.ok;
  },
};
