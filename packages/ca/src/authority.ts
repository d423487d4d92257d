import { access } from "node:fs/promises";
import { join } from "node:path";
import { CertificateBuilder, describeIssuer, InputError, type ProfileSettings } from "@qoltanba/pki";
import { readCaCertificate, readCaConfig, type CaConfig } from "./caFolder.ts";
import { issuingIssuerUrls, publicationUrls, type PublicationUrls } from "./publicationUrls.ts";
import { keyFilePath, openKeyFileSigner } from "./signer/keyFiles.ts";
import { ONLINE_KEYS } from "./signer/hsmConfig.ts";
import { keysUnlockedBy, openHsmSigner, type TokenPins } from "./signer/hsmSigner.ts";
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
  /**
   * The online keys this node signs with: with key files, those whose file is in the folder's
   * copy (a node that answers OCSP and TSA may hold only those two, leaving the issuing key to the
   * signer); with an HSM, those on the tokens it was given a PIN for. None when not unlocked.
   */
  readonly signingKeys: readonly CaKeyName[];
  /** Builds end-entity certificates under the issuing CA. */
  readonly builder: CertificateBuilder;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Unlocks the CA's key files (not needed to publish certificates). */
  readonly password?: string;
  /** For a CA whose ca.json names an HSM (instead of `password`): the PINs, by token label, of the tokens this node logs in to. */
  readonly hsmPins?: TokenPins;
  /** HSM sessions in the pool (default 8). */
  readonly hsmSessions?: number;
  /** Overrides the database URL in ca.json (tests point one CA at another engine). */
  readonly databaseUrl?: string;
}

export async function openCertificateAuthority(
  dir: string,
  options: OpenOptions = {},
): Promise<CertificateAuthority> {
  const config = await readCaConfig(dir);
  const entries = await Promise.all(
    CA_KEY_NAMES.map(async (name) => [name, await readCaCertificate(dir, name)] as const),
  );
  const certificates = Object.fromEntries(entries) as Record<CaKeyName, Buffer>;
  const signingKeys = await keysOnThisNode(dir, config, options);
  const signer = await openSigner(dir, config, options, signingKeys);
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
    signingKeys,
    builder: new CertificateBuilder(describeIssuer(certificates.issuing, issuingIssuerUrls(urls)), settings),
    close: async () => {
      await signer?.close?.();
      await store.close();
    },
  };
}

async function keysOnThisNode(dir: string, config: CaConfig, options: OpenOptions): Promise<readonly CaKeyName[]> {
  if (config.hsm) return keysUnlockedBy(config.hsm, options.hsmPins ?? new Map());
  if (options.password === undefined) return [];
  const present: CaKeyName[] = [];
  for (const name of ONLINE_KEYS) if (await access(keyFilePath(dir, name)).then(() => true, () => false)) present.push(name);
  if (present.length === 0) throw new InputError("no_key_files", `a key password was given but ${join(dir, "keys")} holds no key file`);
  return present;
}

async function openSigner(
  dir: string,
  config: CaConfig,
  options: OpenOptions,
  keyFiles: readonly CaKeyName[],
): Promise<CaSigner | undefined> {
  if (config.hsm) return options.hsmPins?.size ? openHsmSigner(config.hsm, options.hsmPins, options.hsmSessions) : undefined;
  return options.password === undefined ? undefined : openKeyFileSigner(dir, options.password, keyFiles);
}
