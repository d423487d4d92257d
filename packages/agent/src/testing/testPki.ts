// Test-only: a CA made by the openssl CLI (pki's OpensslCa) that issues NCA-style RSA certificates
// (AUTH and SIGN profiles, IIN in SERIALNUMBER, BIN in OU) and packs them with their keys into .p12 files.
import { readFileSync } from "node:fs";
import { type CmsCheck, OpensslCa, RSA_2048 } from "../../../pki/src/test-support/openssl-ca.ts";

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
  readonly ca: OpensslCa;
  readonly dir: string;
  readonly caPath: string;
  private serial = 0x2000;

  constructor(subject = "/C=KZ/CN=Qoltanba agent test issuing CA") {
    this.ca = new OpensslCa({
      subject,
      extensions: [
        "basicConstraints=critical,CA:TRUE",
        "keyUsage=critical,keyCertSign,cRLSign",
        "subjectKeyIdentifier=hash",
      ],
      prefix: "qoltanba-agent-pki-",
    });
    this.dir = this.ca.dir;
    this.caPath = this.ca.certPath;
  }

  get caPem(): string {
    return readFileSync(this.caPath, "utf8");
  }

  /** Issues an RSA-2048 certificate for `subject` (openssl -subj form) and writes KEY.p12 under `password`. */
  issue(name: string, subject: string, extensions: string[], password: string, days = 10): IssuedKey {
    this.ca.request(name, subject, RSA_2048, ["-utf8"]);
    const certificatePath = this.ca.certify(name, { days, serial: String(this.serial++), extensions });
    const p12 = this.ca.exportPkcs12(`${name}.key`, `${name}.pem`, password, ["-certfile", "ca.pem"]);
    return {
      p12Path: this.ca.write(`${name}.p12`, p12),
      certificatePath,
      certificatePem: readFileSync(certificatePath, "utf8"),
      keyPath: this.path(`${name}.key`),
    };
  }

  /** Certifies a CSR (PEM) made elsewhere, with `subject` (openssl -subj form) instead of the CSR's. */
  certify(name: string, csrPem: string, subject: string, extensions: string[], serial: number): string {
    this.ca.write(`${name}.csr`, csrPem);
    return readFileSync(
      this.ca.certify(name, { days: 5, serial: String(serial), extensions, subject }),
      "utf8",
    );
  }

  /** openssl cms -verify against this CA, for any purpose; the content it verified. */
  verifyCms(cms: Buffer, { content, options = [] }: CmsCheck = {}): Buffer {
    return this.ca.verifyCms(cms, { content, options: ["-purpose", "any", ...options] });
  }

  path(file: string): string {
    return this.ca.path(file);
  }

  openssl(args: string[], input?: Buffer | string): Buffer {
    return this.ca.opensslBytes(args, input);
  }

  tryOpenssl(args: string[], input?: Buffer | string): { status: number; output: string } {
    return this.ca.tryOpenssl(args, input, "latin1");
  }

  dispose(): void {
    this.ca.dispose();
  }
}
