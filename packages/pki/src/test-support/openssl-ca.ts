// Test-only: a throwaway CA made with the openssl CLI in a temp dir, so what the code under test
// produces is checked against keys and certificates that no code of ours made. The one openssl CA
// of every package's tests (pki, agent, cli) and benches.
import { execFileSync, spawnSync } from "node:child_process";
import { type KeyObject, createPrivateKey, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allFromPemOrDer, fromPemOrDer } from "../pem.ts";

/** `openssl req -newkey` options of a new key. */
export const RSA_2048 = ["rsa:2048"] as const;
export const P256 = ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"] as const;

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

/** A new self-signed CA. */
interface NewCaOptions {
  /** openssl -subj form. */
  readonly subject?: string;
  readonly newKey?: readonly string[];
  /** The CA certificate's extensions, as `-addext` values. */
  readonly extensions?: readonly string[];
  readonly days?: number;
  /** The start of the temp dir's name. */
  readonly prefix?: string;
  readonly existing?: never;
}

/** A CA made elsewhere, used where its files are (one file may hold both). */
interface ExistingCaOptions {
  readonly existing: { readonly certificate: string; readonly key: string };
  readonly prefix?: string;
  readonly subject?: never;
  readonly newKey?: never;
  readonly extensions?: never;
  readonly days?: never;
}

export type OpensslCaOptions = NewCaOptions | ExistingCaOptions;

/** How `certify` turns NAME.csr into NAME.pem. */
export interface Certification {
  readonly days: number;
  /** `-set_serial` (decimal or 0x hex); openssl picks a random one when absent. */
  readonly serial?: string;
  /** x509 extension config lines; none: a certificate without extensions. */
  readonly extensions?: readonly string[];
  /** openssl -subj form, in place of the request's subject. */
  readonly subject?: string;
}

export interface CmsCheck {
  /** The data of a detached signature: bytes, or a file too large to hold in memory. */
  readonly content?: Buffer | { readonly file: string };
  /** More `openssl cms -verify` options (`-purpose any`, `-cades`, `-out /dev/null` …). */
  readonly options?: readonly string[];
}

/**
 * `openssl cms -verify` of a DER CMS against the certificates in the file `trusted`; returns the
 * content openssl verified and throws with its output when it refuses.
 */
export function opensslVerifyCms(
  cms: Buffer,
  trusted: string,
  { content, options = [] }: CmsCheck = {},
): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "qoltanba-cms-verify-"));
  try {
    writeFileSync(join(dir, "signature.der"), cms);
    if (Buffer.isBuffer(content)) writeFileSync(join(dir, "content"), content);
    const contentFile = Buffer.isBuffer(content) ? join(dir, "content") : content?.file;
    return execFileSync(
      "openssl",
      [
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        join(dir, "signature.der"),
        "-CAfile",
        trusted,
        ...(contentFile === undefined ? [] : ["-content", contentFile]),
        ...options,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class OpensslCa {
  readonly dir: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly der: Buffer;
  readonly key: KeyObject;
  private nextSerial = 0x1000;

  constructor({
    subject = "/C=KZ/CN=Qoltanba Test CA",
    newKey = RSA_2048,
    extensions = ["keyUsage=critical,keyCertSign,cRLSign"],
    days = 30,
    prefix = "qoltanba-openssl-ca-",
    existing,
  }: OpensslCaOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.certPath = existing?.certificate ?? join(this.dir, "ca.pem");
    this.keyPath = existing?.key ?? join(this.dir, "ca.key");
    if (!existing)
      this.openssl([
        "req",
        "-x509",
        "-newkey",
        ...newKey,
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        subject,
        "-days",
        String(days),
        ...extensions.flatMap((extension) => ["-addext", extension]),
      ]);
    this.der = allFromPemOrDer(readFileSync(this.certPath), ["CERTIFICATE"], "CA certificate")[0]!;
    this.key = createPrivateKey(readFileSync(this.keyPath));
  }

  /** A new key NAME.key and a request for it, NAME.csr; `options` go to openssl req as they are (`-utf8`). */
  request(name: string, subject: string, newKey: readonly string[], options: readonly string[] = []): void {
    this.openssl([
      "req",
      "-new",
      "-newkey",
      ...newKey,
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-subj",
      subject,
      "-out",
      `${name}.csr`,
      ...options,
    ]);
  }

  /** Certifies NAME.csr with the CA's key into NAME.pem and returns that path. */
  certify(name: string, { days, serial, extensions, subject }: Certification): string {
    if (extensions) this.write(`${name}.ext`, extensions.join("\n") + "\n");
    this.openssl([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      this.certPath,
      "-CAkey",
      this.keyPath,
      "-days",
      String(days),
      ...(serial === undefined ? [] : ["-set_serial", serial]),
      ...(extensions ? ["-extfile", `${name}.ext`] : []),
      ...(subject === undefined ? [] : ["-subj", subject]),
      "-out",
      `${name}.pem`,
    ]);
    return this.path(`${name}.pem`);
  }

  /**
   * Issues a certificate `/C=KZ/CN=name` for a new P-256 key (or the key options given, e.g.
   * `["rsa:2048"]`); `extensions` are openssl config lines for its x509 extensions.
   */
  issue(
    name: string,
    extensions: readonly string[] = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature"],
    newKey: readonly string[] = P256,
  ): IssuedCertificate {
    const serial = Buffer.from((this.nextSerial++).toString(16).padStart(4, "0") + "c0ffee", "hex");
    this.request(name, `/C=KZ/CN=${name}`, newKey);
    const path = this.certify(name, { days: 10, serial: "0x" + serial.toString("hex"), extensions });
    return {
      path,
      der: fromPemOrDer(readFileSync(path), ["CERTIFICATE"], name),
      serial,
      key: createPrivateKey(readFileSync(join(this.dir, `${name}.key`))),
    };
  }

  /** `openssl pkcs12 -export` of the files `key` and `certificate`, the password passed in a file. */
  exportPkcs12(key: string, certificate: string, password: string, options: readonly string[] = []): Buffer {
    const passwordFile = this.write(`password-${randomBytes(4).toString("hex")}`, password);
    return this.opensslBytes([
      "pkcs12",
      "-export",
      "-inkey",
      key,
      "-in",
      certificate,
      "-passout",
      `file:${passwordFile}`,
      ...options,
    ]);
  }

  /** `opensslVerifyCms` against this CA. */
  verifyCms(cms: Buffer, check: CmsCheck = {}): Buffer {
    return opensslVerifyCms(cms, this.certPath, check);
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  read(file: string): Buffer {
    return readFileSync(this.path(file));
  }

  write(file: string, content: Buffer | string): string {
    const path = this.path(file);
    writeFileSync(path, content);
    return path;
  }

  /** Runs openssl in the CA's dir and throws with its output when it fails. */
  openssl(args: readonly string[]): string {
    return this.opensslBytes(args).toString("utf8");
  }

  /** `openssl` for binary output or input. */
  opensslBytes(args: readonly string[], input: Buffer | string = ""): Buffer {
    return execFileSync("openssl", args, { cwd: this.dir, input, stdio: ["pipe", "pipe", "pipe"] });
  }

  /** Runs openssl in the CA's dir and returns its exit status with stdout and stderr together. */
  tryOpenssl(
    args: readonly string[],
    input: Buffer | string = "",
    encoding: BufferEncoding = "utf8",
  ): OpensslResult {
    const result = spawnSync("openssl", args, { cwd: this.dir, input, encoding });
    return { status: result.status ?? -1, output: result.stdout + result.stderr };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A self-signed root CA certificate made by openssl, written in `folder` as DER like a CA's published root.cer. */
export function opensslRootCa(folder: string, commonName: string): string {
  const root = new OpensslCa({
    subject: `/CN=${commonName}`,
    newKey: P256,
    extensions: ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"],
  });
  const certificate = join(folder, `${commonName.replace(/\W/g, "_")}.cer`);
  writeFileSync(certificate, root.der);
  root.dispose();
  return certificate;
}
