// Enrollment for the portal: generateCsr makes the AUTH and SIGN key pairs in a folder the person
// chooses, encrypted under a password set in the agent's dialog, and returns PKCS#10 requests;
// importCertificate puts the issued certificates with those keys into NCA-style key files.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCallback,
  type KeyObject,
} from "node:crypto";
import { readdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  checkKeyFilePassword,
  createCertificationRequest,
  fromPemOrDer,
  InputError,
  keyIdentifier,
  localSigningKey,
  toPem,
  writePkcs12,
} from "@qoltanba/pki";
import type { RequestSummary } from "../dialogs/dialogs.ts";
import type { AgentContext } from "../session.ts";
import { certificateFacts, type CertificateFacts } from "./certificateFacts.ts";

const generateKeyPair = promisify(generateKeyPairCallback);

export type KeyRole = "AUTH" | "SIGN";
export const KEY_ROLES: readonly KeyRole[] = ["AUTH", "SIGN"];

/** Rounds of the new-password dialog before generateCsr gives up. */
const PASSWORD_ROUNDS = 3;
const PENDING_SUFFIX = ".pending.pem";

/** NCA's file names: AUTH_RSA256_<key id>.p12 and RSA256_<key id>.p12. */
export const keyFileName = (role: KeyRole, keyId: string, suffix = ".p12") =>
  `${role === "AUTH" ? "AUTH_" : ""}RSA256_${keyId}${suffix}`;

export interface NewKeysRequest {
  applicationId: string;
  roles: readonly KeyRole[];
  request: RequestSummary;
  /** The folder remembered for this application, offered first. */
  startDir?: string;
}

/** Returns the folder and the PEM CSRs by role; undefined when the person cancelled. */
export async function generateKeys(
  agent: AgentContext,
  input: NewKeysRequest,
): Promise<{ folder: string; csrs: Partial<Record<KeyRole, string>> } | undefined> {
  const preset = agent.presetKeyFolder;
  const folder =
    preset?.dir ??
    (await agent.dialogs.chooseFolder({
      request: input.request,
      title: "Choose the folder for your new keys",
      ...(input.startDir ? { startDir: input.startDir } : {}),
    }));
  if (folder === undefined) return undefined;
  const password = preset?.password ?? (await askNewPassword(agent, input.request, folder));
  if (password === undefined) return undefined;

  const csrs: Partial<Record<KeyRole, string>> = {};
  for (const role of input.roles) {
    const { privateKey, publicKey } = await generateKeyPair("rsa", { modulusLength: 2048 });
    const publicKeyInfo = publicKey.export({ type: "spki", format: "der" });
    const container =
      publicKey.export({ type: "spki", format: "pem" }).toString() +
      privateKey
        .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: password })
        .toString();
    const name = keyFileName(role, keyIdentifier(publicKeyInfo).toString("hex"), PENDING_SUFFIX);
    await writeFile(join(folder, name), container, { mode: 0o600, flag: "wx" }).catch(
      (error: NodeJS.ErrnoException) => {
        throw new InputError(
          "folder_not_writable",
          `cannot write the key container in ${folder}: ${error.code ?? error.message}`,
        );
      },
    );
    const csr = await createCertificationRequest({ publicKeyInfo, key: localSigningKey(privateKey) });
    csrs[role] = toPem("CERTIFICATE REQUEST", csr);
  }
  return { folder, csrs };
}

async function askNewPassword(
  agent: AgentContext,
  request: RequestSummary,
  folder: string,
): Promise<string | undefined> {
  let problem: string | undefined;
  for (let round = 0; round < PASSWORD_ROUNDS; round++) {
    const password = await agent.dialogs.newPassword({ request, folder, ...(problem ? { problem } : {}) });
    if (password === undefined) return undefined;
    problem = checkKeyFilePassword(password);
    if (problem === undefined) return password;
  }
  throw new InputError("weak_password", `the key password breaks the rule: ${problem}`);
}

interface PendingKey {
  path: string;
  role: KeyRole;
  publicKeyInfo: Buffer;
  encryptedPem: string;
}

async function pendingKeys(folder: string): Promise<PendingKey[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    throw new InputError("file.not_found", `the key folder ${folder} cannot be read`);
  }
  const pending: PendingKey[] = [];
  for (const name of names.filter((entry) => entry.endsWith(PENDING_SUFFIX))) {
    const path = join(folder, name);
    const text = await readFile(path, "utf8");
    const publicPem = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/.exec(text)?.[0];
    const encryptedPem =
      /-----BEGIN ENCRYPTED PRIVATE KEY-----[\s\S]*?-----END ENCRYPTED PRIVATE KEY-----/.exec(text)?.[0];
    if (!publicPem || !encryptedPem) continue;
    const publicKeyInfo = createPublicKey(publicPem).export({ type: "spki", format: "der" });
    pending.push({ path, role: name.startsWith("AUTH_") ? "AUTH" : "SIGN", publicKeyInfo, encryptedPem });
  }
  return pending;
}

/** Reads a certificate the portal sent: PEM or base64 DER. */
export function importedCertificate(text: string, what: string): CertificateFacts {
  try {
    const der = text.includes("-----BEGIN")
      ? fromPemOrDer(text, ["CERTIFICATE"], what)
      : Buffer.from(text.replace(/\s+/g, ""), "base64");
    return certificateFacts(der);
  } catch (error) {
    throw new InputError(
      "invalid_certificate",
      `${what} is not an X.509 certificate${error instanceof InputError ? `: ${error.message}` : ""}`,
    );
  }
}

export interface ImportRequest {
  folder: string;
  certificates: CertificateFacts[];
  chain: Buffer[];
  request: RequestSummary;
}

export interface ImportedKey {
  role: KeyRole;
  keyId: string;
  fileName: string;
}

/**
 * Finds each certificate's private key by its public key among the folder's pending containers
 * (a certificate that matches none is refused before any password is asked), then writes the key
 * files. Undefined when the person cancelled.
 */
export async function importCertificates(
  agent: AgentContext,
  input: ImportRequest,
): Promise<ImportedKey[] | undefined> {
  const pending = await pendingKeys(input.folder);
  const matches = input.certificates.map((certificate) => {
    const key = pending.find((candidate) => candidate.publicKeyInfo.equals(certificate.publicKeyInfo));
    if (!key) {
      throw new InputError(
        "certificate_matches_no_key",
        `the certificate of serial ${certificate.serialNumber} matches none of the keys waiting in ${input.folder}`,
      );
    }
    return { certificate, key };
  });

  const password = await unlockPassword(agent, input, matches[0]!.key.encryptedPem);
  if (password === undefined) return undefined;
  const imported: ImportedKey[] = [];
  for (const { certificate, key } of matches) {
    const privateKey = decrypt(key.encryptedPem, password);
    const fileName = keyFileName(key.role, certificate.keyId);
    const file = writePkcs12({ privateKey, certificate: certificate.der, chain: input.chain }, password);
    await writeFile(join(input.folder, fileName), file, { mode: 0o600 });
    await unlink(key.path);
    imported.push({ role: key.role, keyId: certificate.keyId, fileName });
  }
  agent.keysChanged();
  return imported;
}

async function unlockPassword(
  agent: AgentContext,
  input: ImportRequest,
  encryptedPem: string,
): Promise<string | undefined> {
  if (agent.presetKeyFolder) return agent.presetKeyFolder.password;
  for (let attempt = 0; attempt < PASSWORD_ROUNDS; attempt++) {
    const password = await agent.dialogs.askPassword({
      request: input.request,
      target: input.folder,
      failedAttempts: agent.throttle.failuresOf(input.folder),
    });
    if (password === undefined) return undefined;
    try {
      await agent.throttle.attempt(input.folder, () => decrypt(encryptedPem, password));
      return password;
    } catch (error) {
      if ((error as InputError).code !== "wrong_password") throw error;
    }
  }
  throw new InputError("wrong_password", "wrong password for the new keys");
}

function decrypt(encryptedPem: string, password: string): KeyObject {
  try {
    return createPrivateKey({ key: encryptedPem, format: "pem", passphrase: password });
  } catch {
    throw new InputError("wrong_password", "wrong password for the new keys");
  }
}
