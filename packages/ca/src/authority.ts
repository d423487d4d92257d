import { CertificateBuilder, describeIssuer, type ProfileSettings } from "@qoltanba/pki";
import { readCaCertificate, readCaConfig, type CaConfig } from "./caFolder.ts";
import { issuingIssuerUrls, publicationUrls, type PublicationUrls } from "./publicationUrls.ts";
import { openKeyFileSigner } from "./signer/keyFiles.ts";
import { CA_KEY_NAMES, type CaKeyName, type CaSigner } from "./signer/signer.ts";
import { openDatabase } from "./storage/database.ts";
import { CertificateStore } from "./storage/certificateStore.ts";

/** An opened CA folder: configuration, certificates, storage, and (when unlocked) its signer. */
export interface CertificateAuthority {
  readonly dir: string;
  readonly config: CaConfig;
  readonly urls: PublicationUrls;
  readonly settings: ProfileSettings;
  readonly certificates: Readonly<Record<CaKeyName, Buffer>>;
  readonly store: CertificateStore;
  /** Present when the CA was opened with its key password. */
  readonly signer?: CaSigner;
  /** Builds end-entity certificates under the issuing CA. */
  readonly builder: CertificateBuilder;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Unlocks the CA keys (not needed to publish certificates). */
  readonly password?: string;
  /** Overrides the database URL in ca.json (tests point one CA at another engine). */
  readonly databaseUrl?: string;
}

export async function openCertificateAuthority(dir: string, options: OpenOptions = {}): Promise<CertificateAuthority> {
  const config = await readCaConfig(dir);
  const entries = await Promise.all(CA_KEY_NAMES.map(async (name) => [name, await readCaCertificate(dir, name)] as const));
  const certificates = Object.fromEntries(entries) as Record<CaKeyName, Buffer>;
  const signer = options.password === undefined ? undefined : await openKeyFileSigner(dir, options.password, ["issuing", "ocsp", "tsa"]);
  const urls = publicationUrls(config.baseUrl);
  const settings = { policyOids: config.policyOids, cpsUrl: urls.cps };
  const store = new CertificateStore(await openDatabase(options.databaseUrl ?? config.database, dir));
  return {
    dir,
    config,
    urls,
    settings,
    certificates,
    store,
    ...(signer ? { signer } : {}),
    builder: new CertificateBuilder(describeIssuer(certificates.issuing, issuingIssuerUrls(urls)), settings),
    close: () => store.close(),
  };
}
