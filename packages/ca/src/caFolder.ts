import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fromPemOrDer, InputError, NCA_POLICY_OIDS, type PolicyOids } from "@qoltanba/pki";
import type { HsmConfig } from "./signer/pkcs11Signer.ts";
import type { CaKeyName } from "./signer/signer.ts";

/** ca.json: what `ca init` decided, read by every later command. */
export interface CaConfig {
  readonly version: 1;
  readonly baseUrl: string;
  readonly database: string;
  readonly policyOids: PolicyOids;
  /** NCA-style test mode: accept the public test IIN 123456789011. */
  readonly acceptTestIin: boolean;
  /** The CA's keys are in this HSM token (no key files); absent: encrypted key files in keys/. */
  readonly hsm?: HsmConfig;
}

export const configPath = (dir: string) => join(dir, "ca.json");
export const certificatePath = (dir: string, name: CaKeyName) => join(dir, "certs", `${name}.pem`);

export async function readCaConfig(dir: string): Promise<CaConfig> {
  let text: string;
  try {
    text = await readFile(configPath(dir), "utf8");
  } catch {
    throw new InputError(
      "no_ca",
      `${dir} is not a CA folder (no ca.json): run qoltanba ca init --dir ${dir}`,
    );
  }
  const parsed = JSON.parse(text) as Partial<CaConfig>;
  if (parsed.version !== 1 || typeof parsed.baseUrl !== "string" || typeof parsed.database !== "string") {
    throw new InputError("bad_ca_config", `${configPath(dir)} is not a valid CA configuration`);
  }
  return {
    version: 1,
    baseUrl: parsed.baseUrl,
    database: parsed.database,
    policyOids: parsed.policyOids ?? NCA_POLICY_OIDS,
    acceptTestIin: parsed.acceptTestIin ?? false,
    ...(parsed.hsm ? { hsm: checkHsmConfig(parsed.hsm, configPath(dir)) } : {}),
  };
}

export async function readCaCertificate(dir: string, name: CaKeyName): Promise<Buffer> {
  return fromPemOrDer(await readFile(certificatePath(dir, name)), ["CERTIFICATE"], `${name} certificate`);
}

function checkHsmConfig(hsm: HsmConfig, path: string): HsmConfig {
  const labels = hsm.keyLabels ?? {};
  if (
    typeof hsm.module !== "string" ||
    typeof hsm.slotLabel !== "string" ||
    ["issuing", "ocsp", "tsa"].some((name) => typeof labels[name as CaKeyName] !== "string")
  ) {
    throw new InputError(
      "bad_ca_config",
      `${path}: "hsm" needs module, slotLabel and keyLabels for issuing, ocsp and tsa`,
    );
  }
  return { module: hsm.module, slotLabel: hsm.slotLabel, keyLabels: labels };
}
