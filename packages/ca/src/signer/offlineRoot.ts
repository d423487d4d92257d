import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fromPemOrDer, InputError, localSigningKey, type SigningKey, toPem } from "@qoltanba/pki";
import { readKeyFile } from "./keyFiles.ts";

/**
 * The offline root folder (removable media kept in a safe): the root's encrypted key, its
 * certificate, and the number of the last root CRL. Only key ceremonies open it.
 */
export const offlineRootKeyPath = (rootDir: string) => join(rootDir, "root.key.pem");
const certificatePath = (rootDir: string) => join(rootDir, "root.pem");
const statePath = (rootDir: string) => join(rootDir, "root.json");

interface RootState {
  readonly lastCrlNumber: number;
}

export async function writeOfflineRootRecords(
  rootDir: string,
  certificate: Buffer,
  lastCrlNumber: number,
): Promise<void> {
  await writeFile(certificatePath(rootDir), toPem("CERTIFICATE", certificate));
  await writeRootState(rootDir, { lastCrlNumber });
}

const writeRootState = (rootDir: string, state: RootState) =>
  writeFile(statePath(rootDir), JSON.stringify(state, null, 2) + "\n");

export interface OfflineRoot {
  readonly certificate: Buffer;
  readonly key: SigningKey;
  /** Reserves the next root CRL number (recorded on the media before the CRL is signed). */
  nextCrlNumber(): Promise<number>;
}

export async function openOfflineRoot(rootDir: string, password: string): Promise<OfflineRoot> {
  let certificateFile: Buffer;
  let state: RootState;
  try {
    certificateFile = await readFile(certificatePath(rootDir));
    state = JSON.parse(await readFile(statePath(rootDir), "utf8")) as RootState;
  } catch {
    throw new InputError(
      "no_offline_root",
      `${rootDir} is not an offline root folder (root.pem and root.json are missing)`,
    );
  }
  const certificate = fromPemOrDer(certificateFile, ["CERTIFICATE"], "root certificate");
  const key = localSigningKey(await readKeyFile(offlineRootKeyPath(rootDir), password));
  let last = state.lastCrlNumber;
  return {
    certificate,
    key,
    nextCrlNumber: async () => {
      last += 1;
      await writeRootState(rootDir, { lastCrlNumber: last });
      return last;
    },
  };
}
