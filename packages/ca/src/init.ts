import { createHash, createPublicKey, randomBytes, type KeyObject } from "node:crypto";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  addMonths,
  CertificateBuilder,
  describeIssuer,
  encodeName,
  InputError,
  keyIdentifier,
  localSigningKey,
  NCA_POLICY_OIDS,
  OID,
  PROFILES,
  signTbs,
  toPem,
  type NameAttribute,
  type PolicyOids,
  type ProfileName,
} from "@qoltanba/pki";
import { certificatePath, configPath, DEFAULT_TSA_ACCURACY, DEFAULT_TSA_POLICY, type CaConfig } from "./caFolder.ts";
import { writeRootCrl } from "./crl/crlPublisher.ts";
import { DEFAULT_DATABASE_URL, openDatabase } from "./storage/database.ts";
import { CertificateStore } from "./storage/certificateStore.ts";
import { checkBaseUrl, DEFAULT_BASE_URL, issuingIssuerUrls, publicationUrls, rootIssuerUrls } from "./publicationUrls.ts";
import { generateRsaKey, keyFilePath, MIN_KEY_PASSWORD_LENGTH, writeKeyFile } from "./signer/keyFiles.ts";
import { CA_KEY_NAMES, type CaKeyName } from "./signer/signer.ts";

/** The names of the hierarchy, in NCA's style by default. */
export interface HierarchyNames {
  readonly rootCommonName: string;
  readonly issuingCommonName: string;
  readonly organization: string;
}

export const DEFAULT_NAMES: HierarchyNames = {
  rootCommonName: "НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) QOLTANBA",
  issuingCommonName: "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) QOLTANBA",
  organization: "QOLTANBA",
};

export interface InitOptions {
  readonly dir: string;
  readonly password: string;
  readonly databaseUrl?: string;
  readonly baseUrl?: string;
  readonly names?: Partial<HierarchyNames>;
  readonly policyOids?: PolicyOids;
  readonly acceptTestIin?: boolean;
  /** RSA size of the issuing, OCSP and TSA keys (the root is always RSA-4096). */
  readonly issuingKeyBits?: 2048 | 3072 | 4096;
  readonly now?: Date;
}

const KEY_BITS: Record<CaKeyName, "root" | "issuing"> = { root: "root", issuing: "issuing", ocsp: "issuing", tsa: "issuing" };

/**
 * `qoltanba ca init`: a self-signed RSA-4096 root, an issuing CA under it, and the issuing CA's
 * delegated OCSP responder and TSA certificates; keys in encrypted PKCS#8 files, certificates in
 * PEM, the database migrated, every key use in the audit log. Refuses a folder that holds a CA.
 */
export async function initCertificateAuthority(options: InitOptions): Promise<CaConfig> {
  if (options.password.length < MIN_KEY_PASSWORD_LENGTH) {
    throw new InputError("weak_password", `the CA key password must have at least ${MIN_KEY_PASSWORD_LENGTH} characters`);
  }
  const baseUrl = checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
  const names = { ...DEFAULT_NAMES, ...options.names };
  const policyOids = options.policyOids ?? NCA_POLICY_OIDS;
  const { dir } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).some((entry) => !entry.startsWith("."))) {
    throw new InputError("ca_exists", `${dir} is not empty: a CA folder is created once (choose an empty folder)`);
  }
  const config: CaConfig = {
    version: 1,
    baseUrl,
    database: options.databaseUrl ?? DEFAULT_DATABASE_URL,
    policyOids,
    acceptTestIin: options.acceptTestIin ?? false,
    tsaPolicy: DEFAULT_TSA_POLICY,
    tsaAccuracy: DEFAULT_TSA_ACCURACY,
  };
  try {
    const keys = await generateKeys(options.issuingKeyBits ?? 2048);
    const certificates = await buildHierarchy(keys, names, config, options.now ?? new Date());
    await mkdir(join(dir, "keys"), { mode: 0o700 });
    await mkdir(join(dir, "certs"));
    for (const name of CA_KEY_NAMES) {
      await writeKeyFile(keyFilePath(dir, name), keys[name], options.password);
      await writeFile(certificatePath(dir, name), toPem("CERTIFICATE", certificates[name]));
    }
    const rootCrl = await writeRootCrl(dir, certificates.root, localSigningKey(keys.root), 1);
    const store = new CertificateStore(await openDatabase(config.database, dir));
    try {
      await store.appendAudit([
        ...CA_KEY_NAMES.map((name) => ({
          action: "init" as const,
          details: { key: name, signedBy: name === "root" || name === "issuing" ? "root" : "issuing", certificateSha256: sha256Hex(certificates[name]) },
        })),
        { action: "crl", details: { key: "root", kind: "root", number: 1, sha256: rootCrl.sha256 } },
      ]);
    } finally {
      await store.close();
    }
    await writeFile(configPath(dir), JSON.stringify(config, null, 2) + "\n");
    return config;
  } catch (error) {
    // Leave no half-made CA behind: the folder was empty before we started.
    for (const entry of ["keys", "certs", "crl", "ca.json", "ca.sqlite", "ca.sqlite-wal", "ca.sqlite-shm"]) {
      await rm(join(dir, entry), { recursive: true, force: true });
    }
    throw error;
  }
}

const sha256Hex = (der: Buffer) => createHash("sha256").update(der).digest("hex");

async function generateKeys(issuingBits: number): Promise<Record<CaKeyName, KeyObject>> {
  const bits = { root: 4096, issuing: issuingBits };
  const generated = await Promise.all(CA_KEY_NAMES.map((name) => generateRsaKey(bits[KEY_BITS[name]])));
  return Object.fromEntries(CA_KEY_NAMES.map((name, index) => [name, generated[index]!])) as Record<CaKeyName, KeyObject>;
}

const spkiOf = (key: KeyObject) => createPublicKey(key).export({ type: "spki", format: "der" });
const serial = () => Buffer.concat([Buffer.from([0x01]), randomBytes(15)]);
const attribute = (type: string, value: string): NameAttribute => ({ type, value });

async function buildHierarchy(
  keys: Record<CaKeyName, KeyObject>,
  names: HierarchyNames,
  config: CaConfig,
  now: Date,
): Promise<Record<CaKeyName, Buffer>> {
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const urls = publicationUrls(config.baseUrl);
  const settings = { policyOids: config.policyOids, cpsUrl: urls.cps };
  const sign = async (builder: CertificateBuilder, signer: KeyObject, profile: ProfileName, subject: NameAttribute[], key: KeyObject) =>
    signTbs(
      builder.tbsCertificate({
        profile: PROFILES[profile],
        subjectName: encodeName(subject),
        publicKeyInfo: spkiOf(key),
        serial: serial(),
        notBefore,
        storage: "file",
      }),
      localSigningKey(signer),
    );

  const rootName = [attribute(OID.commonName, names.rootCommonName), attribute(OID.organizationName, names.organization), attribute(OID.countryName, "KZ")];
  const rootSelf = new CertificateBuilder(
    {
      name: encodeName(rootName),
      keyIdentifier: keyIdentifier(spkiOf(keys.root)),
      notAfter: addMonths(notBefore, PROFILES["root-ca"].validityMonths.file),
      signatureAlgorithm: localSigningKey(keys.root).algorithm,
    },
    settings,
  );
  const root = await sign(rootSelf, keys.root, "root-ca", rootName, keys.root);
  const byRoot = new CertificateBuilder(describeIssuer(root, rootIssuerUrls(urls)), settings);
  const issuing = await sign(byRoot, keys.root, "issuing-ca", [attribute(OID.countryName, "KZ"), attribute(OID.commonName, names.issuingCommonName)], keys.issuing);
  const byIssuing = new CertificateBuilder(describeIssuer(issuing, issuingIssuerUrls(urls)), settings);
  const service = (commonName: string) => [attribute(OID.commonName, commonName), attribute(OID.organizationName, names.organization), attribute(OID.countryName, "KZ")];
  const ocsp = await sign(byIssuing, keys.issuing, "ocsp-responder", service("OCSP RESPONDER"), keys.ocsp);
  const tsa = await sign(byIssuing, keys.issuing, "tsa", service("TIME-STAMPING AUTHORITY"), keys.tsa);
  return { root, issuing, ocsp, tsa };
}
