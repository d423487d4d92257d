// Test-only: a CA made by the openssl CLI that issues NCA-style RSA certificates (AUTH and SIGN
// profiles, IIN in SERIALNUMBER, BIN in OU) and packs them with their keys into .p12 files.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const AUTH_EXTENSIONS = [
  "basicConstraints=CA:FALSE",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "extendedKeyUsage=clientAuth,1.2.398.3.3.4.1.1",
  "subjectKeyIdentifier=hash",
  "authorityKeyIdentifier=keyid",
];
export const SIGN_EXTENSIONS = [
  "basicConstraints=CA:FALSE",
  "keyUsage=critical,digitalSignature,nonRepudiation",
  "extendedKeyUsage=emailProtection,1.2.398.3.3.4.1.1",
  "subjectKeyIdentifier=hash",
  "authorityKeyIdentifier=keyid",
];

export interface IssuedKey {
  p12Path: string;
  certificatePath: string;
  certificatePem: string;
  keyPath: string;
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), "qoltanba-agent-pki-"));
  readonly caPath = join(this.dir, "ca.pem");
  private serial = 0x2000;

  constructor(subject = "/C=KZ/CN=Qoltanba agent test issuing CA") {
    this.openssl([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-subj",
      subject,
      "-days",
      "30",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-addext",
      "subjectKeyIdentifier=hash",
    ]);
  }

  get caPem(): string {
    return readFileSync(this.caPath, "utf8");
  }

  /** Issues an RSA-2048 certificate for `subject` (openssl -subj form) and writes KEY.p12 under `password`. */
  issue(name: string, subject: string, extensions: string[], password: string, days = 10): IssuedKey {
    this.openssl([
      "req",
      "-new",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      subject,
      "-utf8",
    ]);
    writeFileSync(join(this.dir, `${name}.ext`), extensions.join("\n") + "\n");
    this.openssl([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-set_serial",
      String(this.serial++),
      "-days",
      String(days),
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.pem`,
    ]);
    writeFileSync(join(this.dir, `${name}.pass`), password);
    this.openssl([
      "pkcs12",
      "-export",
      "-inkey",
      `${name}.key`,
      "-in",
      `${name}.pem`,
      "-certfile",
      "ca.pem",
      "-out",
      `${name}.p12`,
      "-passout",
      `file:${name}.pass`,
    ]);
    return {
      p12Path: join(this.dir, `${name}.p12`),
      certificatePath: join(this.dir, `${name}.pem`),
      certificatePem: readFileSync(join(this.dir, `${name}.pem`), "utf8"),
      keyPath: join(this.dir, `${name}.key`),
    };
  }

  /** Certifies a CSR (PEM) made elsewhere, with `subject` (openssl -subj form) instead of the CSR's. */
  certify(name: string, csrPem: string, subject: string, extensions: string[], serial: number): string {
    writeFileSync(this.path(`${name}.csr`), csrPem);
    writeFileSync(this.path(`${name}.ext`), extensions.join("\n") + "\n");
    this.openssl([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-set_serial",
      String(serial),
      "-days",
      "5",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.pem`,
      "-subj",
      subject,
    ]);
    return readFileSync(this.path(`${name}.pem`), "utf8");
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  openssl(args: string[], input?: Buffer | string): Buffer {
    return execFileSync("openssl", args, {
      cwd: this.dir,
      input: input ?? "",
      stdio: ["pipe", "pipe", "pipe"],
    });
  }

  tryOpenssl(args: string[], input?: Buffer | string): { status: number; output: string } {
    const result = spawnSync("openssl", args, { cwd: this.dir, input: input ?? "", encoding: "latin1" });
    return { status: result.status ?? -1, output: result.stdout + result.stderr };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
