// Test-only: a throwaway CA made with the openssl CLI in a temp dir, so what the code under test
// produces is checked against keys and certificates that no code of ours made.
import { execFileSync, spawnSync } from "node:child_process";
import { type KeyObject, createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromPemOrDer } from "../pem.ts";

export interface OpensslResult {
  status: number;
  output: string;
}

export interface IssuedCertificate {
  path: string;
  der: Buffer;
  serial: Buffer;
  key: KeyObject;
}

export class OpensslCa {
  readonly dir = mkdtempSync(join(tmpdir(), "qoltanba-openssl-ca-"));
  readonly certPath = join(this.dir, "ca.pem");
  readonly der: Buffer;
  readonly key: KeyObject;
  private nextSerial = 0x1000;

  constructor(subject = "/C=KZ/CN=Qoltanba Test CA") {
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
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    this.der = fromPemOrDer(readFileSync(this.certPath), ["CERTIFICATE"], "CA certificate");
    this.key = createPrivateKey(readFileSync(join(this.dir, "ca.key")));
  }

  /**
   * Issues a certificate `/C=KZ/CN=name` for a new P-256 key (or the key options given, e.g.
   * `["rsa:2048"]`); `extensions` are openssl config lines for its x509 extensions.
   */
  issue(
    name: string,
    extensions: string[] = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature"],
    newKey: string[] = ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
  ): IssuedCertificate {
    const serial = Buffer.from((this.nextSerial++).toString(16).padStart(4, "0") + "c0ffee", "hex");
    writeFileSync(join(this.dir, `${name}.ext`), extensions.join("\n") + "\n");
    this.openssl([
      "req",
      "-new",
      "-newkey",
      ...newKey,
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-subj",
      `/C=KZ/CN=${name}`,
      "-out",
      `${name}.csr`,
    ]);
    this.openssl([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-days",
      "10",
      "-set_serial",
      "0x" + serial.toString("hex"),
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.pem`,
    ]);
    const path = join(this.dir, `${name}.pem`);
    return {
      path,
      der: fromPemOrDer(readFileSync(path), ["CERTIFICATE"], name),
      serial,
      key: createPrivateKey(readFileSync(join(this.dir, `${name}.key`))),
    };
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  write(file: string, content: Buffer | string): string {
    const path = this.path(file);
    writeFileSync(path, content);
    return path;
  }

  /** Runs openssl in the CA's dir and throws with its output when it fails. */
  openssl(args: string[]): string {
    return execFileSync("openssl", args, {
      cwd: this.dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /** Runs openssl in the CA's dir and returns its exit status with stdout and stderr together. */
  tryOpenssl(args: string[]): OpensslResult {
    const result = spawnSync("openssl", args, { cwd: this.dir, encoding: "utf8" });
    return { status: result.status ?? -1, output: result.stdout + result.stderr };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
