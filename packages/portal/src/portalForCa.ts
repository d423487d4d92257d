import { fileURLToPath } from "node:url";
import { readApiCredentials, type CertificateAuthority } from "@qoltanba/ca";
import { InputError } from "@qoltanba/pki";
import { inProcessCaClient, type CaClient } from "./caClient.ts";
import { Portal } from "./portal.ts";
import { remoteCaClient } from "./remoteCaClient.ts";

/** The demo's person registry: persons with valid IINs and Kazakh and Russian names. */
export const DEMO_PERSONS_FILE = fileURLToPath(new URL("../demo/persons.csv", import.meta.url));

/**
 * The portal of `qoltanba serve`, beside the CA in the same process. Settings come from the
 * environment, so secrets (SMTP and registry credentials) never reach a command line:
 * QOLTANBA_PORTAL_DATABASE (default: the CA's PostgreSQL database, else sqlite:portal.sqlite in
 * the CA folder), QOLTANBA_PERSONS (a CSV/JSON file for the embedded registry),
 * QOLTANBA_REGISTRY_URL and QOLTANBA_REGISTRY_AUTHORIZATION (a real registry instead),
 * QOLTANBA_SMTP_URL and QOLTANBA_MAIL_FROM (without them, mail goes to /mail-catcher),
 * QOLTANBA_ISSUANCE_CLAIM_SECONDS (how long an issuance may take before another process finishes it),
 * QOLTANBA_CA_API_URL and QOLTANBA_CA_API_CREDENTIALS (a portal node without the issuing key: it
 * asks a signer node's CA API, with the credentials folder made by `qoltanba ca api-credentials --client`).
 */
export async function openPortalForCa(
  ca: CertificateAuthority,
  env: NodeJS.ProcessEnv = process.env,
  log?: (line: string) => void,
): Promise<Portal> {
  const caDatabase = ca.config.database;
  const databaseUrl =
    env.QOLTANBA_PORTAL_DATABASE ?? (caDatabase.startsWith("postgres") ? caDatabase : "sqlite:portal.sqlite");
  const registry = env.QOLTANBA_REGISTRY_URL
    ? {
        kind: "http" as const,
        url: env.QOLTANBA_REGISTRY_URL,
        ...(env.QOLTANBA_REGISTRY_AUTHORIZATION
          ? { authorization: env.QOLTANBA_REGISTRY_AUTHORIZATION }
          : {}),
      }
    : { kind: "embedded" as const, ...(env.QOLTANBA_PERSONS ? { file: env.QOLTANBA_PERSONS } : {}) };
  return Portal.open({
    ca: await caClientFor(ca, env, log),
    databaseUrl,
    baseDir: ca.dir,
    registry,
    mail: {
      ...(env.QOLTANBA_SMTP_URL ? { smtpUrl: env.QOLTANBA_SMTP_URL } : {}),
      ...(env.QOLTANBA_MAIL_FROM ? { from: env.QOLTANBA_MAIL_FROM } : {}),
    },
    enrollment: { acceptTestIin: ca.config.acceptTestIin },
    ...(env.QOLTANBA_ISSUANCE_CLAIM_SECONDS
      ? {
          issuanceClaimMilliseconds:
            positiveSeconds("QOLTANBA_ISSUANCE_CLAIM_SECONDS", env.QOLTANBA_ISSUANCE_CLAIM_SECONDS) * 1000,
        }
      : {}),
    secureCookies: ca.config.baseUrl.startsWith("https:"),
    baseUrl: ca.config.baseUrl,
    ...(log ? { log } : {}),
  });
}

/** In-process, or the remote CA API when QOLTANBA_CA_API_URL names one. */
async function caClientFor(ca: CertificateAuthority, env: NodeJS.ProcessEnv, log?: (line: string) => void): Promise<CaClient> {
  const url = env.QOLTANBA_CA_API_URL;
  if (!url) return inProcessCaClient(ca);
  const folder = env.QOLTANBA_CA_API_CREDENTIALS;
  if (!folder)
    throw new InputError("bad_setting", "QOLTANBA_CA_API_URL needs QOLTANBA_CA_API_CREDENTIALS: the folder made by qoltanba ca api-credentials --client");
  const credentials = await readApiCredentials(folder);
  return remoteCaClient({
    url,
    clientCertificate: credentials.certificate,
    clientKey: credentials.key,
    caTrust: credentials.trust,
    caCertificates: { root: ca.certificates.root, issuing: ca.certificates.issuing },
    ...(log ? { log } : {}),
  });
}

function positiveSeconds(name: string, value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new InputError("bad_setting", `${name} must be a whole number of seconds, got ${value}`);
  return seconds;
}
