import { PASSWORD_ENV, readKeyPassword, signRootCrl } from "@qoltanba/ca";
import { EXIT, required, type Command } from "../command.ts";

export const ceremonyRootCrl: Command = {
  usage: `qoltanba ca ceremony root-crl --root ROOTDIR --dir DIR [--password-file FILE]

  Key ceremony, on the offline machine: the offline root signs its next CRL (valid 12 months) into
  DIR/crl/root.crl, which \`qoltanba serve\` publishes at the root's CRL URL. The CRL number is kept
  in ROOTDIR/root.json; the use of the root key is appended to DIR's audit log.
  --root ROOTDIR        the offline root folder (root.key.pem, root.pem, root.json)
  --dir DIR             the CA folder
  --password-file FILE  the root key's password (first line); otherwise env ${PASSWORD_ENV}`,
  options: { root: { type: "string" }, dir: { type: "string" }, "password-file": { type: "string" } },
  async run(values) {
    const rootDir = required(values, "root");
    const dir = required(values, "dir");
    const password = await readKeyPassword(values["password-file"] as string | undefined);
    const { number, sha256 } = await signRootCrl(dir, rootDir, password);
    process.stderr.write(`root CRL number ${number} written to ${dir}/crl/root.crl, SHA-256 ${sha256}\n`);
    return EXIT.ok;
  },
};
