import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "@qoltanba/pki";
import { DAY_MS } from "./keys.ts";
import { createLocalCa } from "./localCa.ts";
import { createAtomically, readIfPresent, writeAtomically } from "./atomicFiles.ts";
import { joinKeyAndCertificate, splitKeyAndCertificate, type KeyAndCertificate } from "./pemFiles.ts";
import { issueServerCertificate, SERVER_VALIDITY_DAYS } from "./serverCertificate.ts";

/** PEM strings for the agent's TLS listener. */
export interface AgentTls {
  readonly key: string;
  readonly certificate: string;
  readonly caCertificate: string;
}

/** The server certificate is replaced once it has less than this left. */
export const RENEW_BEFORE_DAYS = 30;

export function agentTlsPaths(home: string) {
  const directory = join(home, "tls");
  return {
    directory,
    /** The local CA's key and certificate (mode 0600). */
    ca: join(directory, "ca.pem"),
    /** The local CA's certificate alone, for a person to import by hand. */
    caCertificate: join(directory, "ca-certificate.pem"),
    /** The server's key and certificate (mode 0600). */
    server: join(directory, "server.pem"),
  };
}

function daysLeft(certificate: X509Certificate, now: Date): number {
  return (new Date(certificate.validTo).getTime() - now.getTime()) / DAY_MS;
}

function parsePair(text: string): { pair: KeyAndCertificate; certificate: X509Certificate } | undefined {
  const pair = splitKeyAndCertificate(text);
  if (!pair) return undefined;
  try {
    const certificate = new X509Certificate(pair.certificatePem);
    return certificate.checkPrivateKey(createPrivateKey(pair.keyPem)) ? { pair, certificate } : undefined;
  } catch {
    return undefined;
  }
}

async function readLocalCa(path: string) {
  const text = await readIfPresent(path);
  if (text === undefined) return undefined;
  const parsed = parsePair(text);
  if (!parsed || !parsed.certificate.ca) {
    throw new InputError(
      "agent_tls_damaged",
      `${path} is not a CA key and certificate that belong together; delete it and run qoltanba agent trust again`,
    );
  }
  return parsed;
}

/** Reads this installation's CA certificate without creating anything; undefined before the first run. */
export async function readAgentCaCertificate(home: string): Promise<string | undefined> {
  return (await readLocalCa(agentTlsPaths(home).ca))?.pair.certificatePem;
}

async function ensureLocalCa(path: string, now: Date): Promise<KeyAndCertificate> {
  const existing = await readLocalCa(path);
  // The CA must outlive every server certificate it signs; when it no longer can, a new one takes over.
  if (existing && daysLeft(existing.certificate, now) > SERVER_VALIDITY_DAYS) return existing.pair;
  const fresh = await createLocalCa(now);
  if (existing) {
    await writeAtomically(path, joinKeyAndCertificate(fresh), 0o600);
    return fresh;
  }
  if (await createAtomically(path, joinKeyAndCertificate(fresh), 0o600)) return fresh;
  return (await readLocalCa(path))!.pair;
}

async function ensureServerCertificate(
  path: string,
  ca: KeyAndCertificate,
  now: Date,
): Promise<KeyAndCertificate> {
  const text = await readIfPresent(path);
  const existing = text === undefined ? undefined : parsePair(text);
  const caCertificate = new X509Certificate(ca.certificatePem);
  const usable =
    existing &&
    existing.certificate.verify(caCertificate.publicKey) &&
    new Date(existing.certificate.validFrom) <= now &&
    daysLeft(existing.certificate, now) > RENEW_BEFORE_DAYS;
  if (usable) return existing.pair;
  const fresh = await issueServerCertificate(ca, now);
  await writeAtomically(path, joinKeyAndCertificate(fresh), 0o600);
  return fresh;
}

/**
 * The agent's TLS material under `home/tls/`: on first run a local CA unique to this installation
 * and a server certificate for 127.0.0.1, ::1 and localhost; later the same ones, with the server
 * certificate renewed when it nears expiry or no longer matches the CA.
 */
export async function ensureAgentTls(home: string, now = new Date()): Promise<AgentTls> {
  const paths = agentTlsPaths(home);
  await mkdir(paths.directory, { recursive: true, mode: 0o700 });
  const ca = await ensureLocalCa(paths.ca, now);
  const server = await ensureServerCertificate(paths.server, ca, now);
  if ((await readIfPresent(paths.caCertificate)) !== ca.certificatePem) {
    await writeAtomically(paths.caCertificate, ca.certificatePem, 0o644);
  }
  return { key: server.keyPem, certificate: server.certificatePem, caCertificate: ca.certificatePem };
}
