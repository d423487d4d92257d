import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  addMonths,
  CertificateBuilder,
  describeIssuer,
  encodeName,
  InputError,
  keyIdentifier,
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
import {
  checkBaseUrl,
  DEFAULT_BASE_URL,
  issuingIssuerUrls,
  publicationUrls,
  rootIssuerUrls,
} from "./publicationUrls.ts";
import {
  newHsmKeys,
  newKeyFiles,
  type HsmKeyOptions,
  type NewCaKey,
  type NewCaKeys,
} from "./signer/newCaKeys.ts";
import { writeOfflineRootRecords } from "./signer/offlineRoot.ts";
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
  /** Encrypts the key files: all four keys by default; with `hsm`, only the offline root's. */
  readonly password?: string;
  /** Generate the keys inside this PKCS#11 token instead of key files. */
  readonly hsm?: HsmKeyOptions;
  /** With `hsm`: keep the root key out of the HSM and the CA folder, in this (empty) folder on offline media. */
  readonly rootOffline?: string;
  readonly databaseUrl?: string;
  readonly baseUrl?: string;
  readonly names?: Partial<HierarchyNames>;
  readonly policyOids?: PolicyOids;
  readonly acceptTestIin?: boolean;
  /** RSA size of the issuing, OCSP and TSA keys (the root is always RSA-4096). */
  readonly issuingKeyBits?: 2048 | 3072 | 4096;
  readonly now?: Date;
}

/**
 * `qoltanba ca init`: a self-signed RSA-4096 root, an issuing CA under it, and the issuing CA's
 * delegated OCSP responder and TSA certificates; keys in encrypted PKCS#8 files or inside an HSM
 * (the root then on the HSM or offline), certificates in PEM, the database migrated, every key use
 * in the audit log. Refuses a folder that holds a CA.
 */
export async function initCertificateAuthority(options: InitOptions): Promise<CaConfig> {
  if (options.rootOffline !== undefined && !options.hsm) {
    throw new InputError(
      "root_offline_needs_hsm",
      "an offline root is for a CA whose online keys are in an HSM (give the HSM too)",
    );
  }
  const baseUrl = checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
  const names = { ...DEFAULT_NAMES, ...options.names };
  const policyOids = options.policyOids ?? NCA_POLICY_OIDS;
  const { dir } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).some((entry) => !entry.startsWith("."))) {
    throw new InputError(
      "ca_exists",
      `${dir} is not empty: a CA folder is created once (choose an empty folder)`,
    );
  }
  const bits = options.issuingKeyBits ?? 2048;
  const newKeys = options.hsm
    ? await newHsmKeys(options.hsm, bits, options.rootOffline, options.password)
    : await newKeyFiles(options.password, bits);
  const config: CaConfig = {
    version: 1,
    baseUrl,
    database: options.databaseUrl ?? DEFAULT_DATABASE_URL,
    policyOids,
    acceptTestIin: options.acceptTestIin ?? false,
    tsaPolicy: DEFAULT_TSA_POLICY,
    tsaAccuracy: DEFAULT_TSA_ACCURACY,
    ...(newKeys.hsm ? { hsm: newKeys.hsm } : {}),
  };
  try {
    await createFolder(dir, config, newKeys, names, options);
    return config;
  } catch (error) {
    // Leave no half-made CA behind: the folder was empty before we started.
    for (const entry of ["keys", "certs", "crl", "ca.json", "ca.sqlite", "ca.sqlite-wal", "ca.sqlite-shm"]) {
      await rm(join(dir, entry), { recursive: true, force: true });
    }
    await newKeys.discard();
    throw error;
  } finally {
    await newKeys.close();
  }
}

async function createFolder(
  dir: string,
  config: CaConfig,
  newKeys: NewCaKeys,
  names: HierarchyNames,
  options: InitOptions,
): Promise<void> {
  const { keys } = newKeys;
  const certificates = await buildHierarchy(keys, names, config, options.now ?? new Date());
  await newKeys.keep(dir);
  await mkdir(join(dir, "certs"));
  for (const name of CA_KEY_NAMES)
    await writeFile(certificatePath(dir, name), toPem("CERTIFICATE", certificates[name]));
  const rootCrl = await writeRootCrl(dir, certificates.root, keys.root.signingKey, 1);
  if (options.rootOffline !== undefined)
    await writeOfflineRootRecords(options.rootOffline, certificates.root, 1);
  const store = new CertificateStore(await openDatabase(config.database, dir));
  try {
    await store.appendAudit([
      ...CA_KEY_NAMES.map((name) => ({
        action: "init" as const,
        details: {
          key: name,
          signedBy: name === "root" || name === "issuing" ? "root" : "issuing",
          certificateSha256: sha256Hex(certificates[name]),
        },
      })),
      { action: "crl", details: { key: "root", kind: "root", number: 1, sha256: rootCrl.sha256 } },
    ]);
  } finally {
    await store.close();
  }
  await writeFile(configPath(dir), JSON.stringify(config, null, 2) + "\n");
}

const sha256Hex = (der: Buffer) => createHash("sha256").update(der).digest("hex");

const serial = () => Buffer.concat([Buffer.from([0x01]), randomBytes(15)]);
const attribute = (type: string, value: string): NameAttribute => ({ type, value });

async function buildHierarchy(
  keys: Readonly<Record<CaKeyName, NewCaKey>>,
  names: HierarchyNames,
  config: CaConfig,
  now: Date,
): Promise<Record<CaKeyName, Buffer>> {
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const urls = publicationUrls(config.baseUrl);
  const settings = { policyOids: config.policyOids, cpsUrl: urls.cps };
  const sign = async (
    builder: CertificateBuilder,
    signer: NewCaKey,
    profile: ProfileName,
    subject: NameAttribute[],
    key: NewCaKey,
  ) =>
    signTbs(
      builder.tbsCertificate({
        profile: PROFILES[profile],
        subjectName: encodeName(subject),
        publicKeyInfo: key.publicKeyInfo,
        serial: serial(),
        notBefore,
        storage: "file",
      }),
      signer.signingKey,
    );

  const rootName = [
    attribute(OID.commonName, names.rootCommonName),
    attribute(OID.organizationName, names.organization),
    attribute(OID.countryName, "KZ"),
  ];
  const rootSelf = new CertificateBuilder(
    {
      name: encodeName(rootName),
      keyIdentifier: keyIdentifier(keys.root.publicKeyInfo),
      notAfter: addMonths(notBefore, PROFILES["root-ca"].validityMonths.file),
      signatureAlgorithm: keys.root.signingKey.algorithm,
    },
    settings,
  );
  const root = await sign(rootSelf, keys.root, "root-ca", rootName, keys.root);
  const byRoot = new CertificateBuilder(describeIssuer(root, rootIssuerUrls(urls)), settings);
  const issuing = await sign(
    byRoot,
    keys.root,
    "issuing-ca",
    [attribute(OID.countryName, "KZ"), attribute(OID.commonName, names.issuingCommonName)],
    keys.issuing,
  );
  const byIssuing = new CertificateBuilder(describeIssuer(issuing, issuingIssuerUrls(urls)), settings);
  const service = (commonName: string) => [
    attribute(OID.commonName, commonName),
    attribute(OID.organizationName, names.organization),
    attribute(OID.countryName, "KZ"),
  ];
  const ocsp = await sign(byIssuing, keys.issuing, "ocsp-responder", service("OCSP RESPONDER"), keys.ocsp);
  const tsa = await sign(byIssuing, keys.issuing, "tsa", service("TIME-STAMPING AUTHORITY"), keys.tsa);
  return { root, issuing, ocsp, tsa };
}
