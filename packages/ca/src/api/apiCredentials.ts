// The TLS material of the CA API link (docs/deployment.md): a small internal CA kept in the CA
// folder's api/, which certifies the CA API server and each portal node, and never anything
// public. Its key is encrypted with the key password; the credentials it hands out are a folder
// each: certificate.pem, key.pem (0600) and trust.pem (the internal CA, to check the other end).
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createPrivateKey, randomBytes, webcrypto, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "@qoltanba/pki";
import { readKeyFile, writeKeyFile } from "../signer/keyFiles.ts";
import { checkPassword } from "../signer/newCaKeys.ts";
import { ApiClientList } from "./apiClients.ts";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MILLISECONDS = 86_400_000;
const INTERNAL_CA_DAYS = 10 * 365;
/** Two years: a node's credentials are renewed by issuing them again under the same name. */
const CREDENTIAL_DAYS = 2 * 365;
/** A node name: what its certificate's CN and the allow-list say (letters, digits, . _ -). */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const apiFolder = (dir: string) => ({
  folder: join(dir, "api"),
  caCertificate: join(dir, "api", "ca.pem"),
  caKey: join(dir, "api", "ca.key.pem"),
  clients: join(dir, "api", "clients.json"),
});

export const credentialFiles = (folder: string) => ({
  certificate: join(folder, "certificate.pem"),
  key: join(folder, "key.pem"),
  trust: join(folder, "trust.pem"),
});

/** What a credentials folder holds, PEM. */
export interface ApiCredentials {
  readonly certificate: string;
  readonly key: string;
  readonly trust: string;
}

/** Who the credentials are for: the CA API server (by the host names and addresses portal nodes dial) or one portal node. */
export type ApiCredentialsRole = { readonly kind: "server"; readonly hosts: readonly string[] } | { readonly kind: "client"; readonly name: string };

export interface IssuedApiCredentials {
  readonly subject: string;
  readonly sha256: string;
  readonly notAfter: Date;
}

/**
 * Issues credentials for the CA API link into `out` (which must not hold any yet), making the
 * internal CA on first use. A client's certificate replaces any earlier one of that name in the
 * allow-list, so re-issuing locks the old one out.
 */
export async function issueApiCredentials(dir: string, role: ApiCredentialsRole, out: string, password: string, now = new Date()): Promise<IssuedApiCredentials> {
  await checkApiCredentialsRequest(role, out);
  const authority = await internalCa(dir, password, now);
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const common = role.kind === "server" ? role.hosts[0]! : role.name;
  const notAfter = new Date(Math.min(now.getTime() + CREDENTIAL_DAYS * DAY_MILLISECONDS, authority.certificate.notAfter.getTime()));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [common] }, { O: ["Qoltanba CA API"] }, { OU: [role.kind === "server" ? "server" : "portal node"] }],
    issuer: authority.certificate.subjectName,
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: authority.key,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([role.kind === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(role.kind === "server"
        ? [new x509.SubjectAlternativeNameExtension(role.hosts.map((host) => (isIP(host) ? { type: "ip" as const, value: host } : { type: "dns" as const, value: host })))]
        : []),
      await x509.AuthorityKeyIdentifierExtension.create(authority.certificate.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const files = credentialFiles(out);
  await mkdir(out, { recursive: true, mode: 0o700 });
  const key = pkcs8(Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)));
  try {
    await writeFile(files.key, key.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw credentialsExist(out);
    throw error;
  }
  await writeFile(files.certificate, certificate.toString("pem") + "\n", { mode: 0o644 });
  await writeFile(files.trust, authority.certificate.toString("pem") + "\n", { mode: 0o644 });
  const sha256 = Buffer.from(await certificate.getThumbprint("SHA-256")).toString("hex");
  if (role.kind === "client") await new ApiClientList(apiFolder(dir).clients).put(role.name, { sha256, notAfter: notAfter.toISOString() });
  return { subject: certificate.subject, sha256, notAfter };
}

/** Reads a credentials folder, naming the file that is missing. */
export async function readApiCredentials(folder: string): Promise<ApiCredentials> {
  const files = credentialFiles(folder);
  const read = (path: string) =>
    readFile(path, "utf8").catch(() => {
      throw new InputError("no_api_credentials", `cannot read ${path}: make the CA API credentials with qoltanba ca api-credentials`);
    });
  return { certificate: await read(files.certificate), key: await read(files.key), trust: await read(files.trust) };
}

/**
 * Refuses a bad node name, bad host or an `out` that already holds credentials: what a caller
 * checks before it asks for the key password.
 */
export async function checkApiCredentialsRequest(role: ApiCredentialsRole, out: string): Promise<void> {
  if (role.kind === "client" && !NODE_NAME.test(role.name))
    throw new InputError("bad_node_name", `--client: a node name is 1 to 63 letters, digits, '.', '_' or '-', got ${JSON.stringify(role.name)}`);
  if (role.kind === "server") {
    if (role.hosts.length === 0) throw new InputError("bad_host", "--server needs the host name or address portal nodes connect to");
    for (const host of role.hosts)
      if (!isIP(host) && !/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host))
        throw new InputError("bad_host", `--server: not a host name or IP address: ${JSON.stringify(host)}`);
  }
  // Checked again when the key is written (flag wx), should another run write it in between.
  if (await access(credentialFiles(out).key).then(() => true, () => false)) throw credentialsExist(out);
}

function credentialsExist(out: string): InputError {
  return new InputError("credentials_exist", `${out} already holds credentials: choose another --out or remove ${credentialFiles(out).key}`);
}

/** The internal CA, made on first use; its key decrypted with the key password. */
async function internalCa(dir: string, password: string, now: Date): Promise<{ certificate: x509.X509Certificate; key: webcrypto.CryptoKey }> {
  const paths = apiFolder(dir);
  const existing = await readFile(paths.caCertificate, "utf8").catch(() => undefined);
  if (existing !== undefined) {
    const key = await readKeyFile(paths.caKey, password);
    return { certificate: new x509.X509Certificate(existing), key: await signingKey(key) };
  }
  checkPassword(password);
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [`Qoltanba CA API internal CA ${randomBytes(4).toString("hex")}`] }, { O: ["Qoltanba CA API"] }],
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + INTERNAL_CA_DAYS * DAY_MILLISECONDS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await mkdir(paths.folder, { recursive: true, mode: 0o700 });
  await writeKeyFile(paths.caKey, pkcs8(Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey))), password);
  await writeFile(paths.caCertificate, certificate.toString("pem") + "\n", { mode: 0o644, flag: "wx" });
  return { certificate, key: keys.privateKey };
}

function pkcs8(der: Buffer): KeyObject {
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

function signingKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey("pkcs8", key.export({ type: "pkcs8", format: "der" }), ALGORITHM, false, ["sign"]) as Promise<webcrypto.CryptoKey>;
}

/** A positive serial of 16 random octets. */
function randomSerial(): string {
  return `01${randomBytes(15).toString("hex")}`;
}
