import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Accuracy, fromPemOrDer, InputError, NCA_POLICY_OIDS, type PolicyOids } from "@qoltanba/pki";
import { parseHsmConfig, type HsmConfig } from "./signer/hsmConfig.ts";
import type { CaKeyName } from "./signer/signer.ts";

/** ca.json: what `ca init` decided, read by every later command. */
export interface CaConfig {
  readonly version: 1;
  readonly baseUrl: string;
  readonly database: string;
  readonly policyOids: PolicyOids;
  /** NCA-style test mode: accept the public test IIN 123456789011. */
  readonly acceptTestIin: boolean;
  /** The policy under which the TSA issues time-stamps; a request naming another is refused. */
  readonly tsaPolicy: string;
  /** How far genTime may be from UTC, as the TSA's clock is kept (RFC 3161 accuracy). */
  readonly tsaAccuracy: Accuracy;
  /** The CA's keys are in HSM tokens (no key files); absent: encrypted key files in keys/. */
  readonly hsm?: HsmConfig;
}

/**
 * NCA's TSA policy as its real tokens carry it (KNCA's tsa_gost_policy), so NCA-minded clients
 * that name a policy get the one they know. A CA with its own OID arc sets its own in ca.json.
 */
export const DEFAULT_TSA_POLICY = "1.2.398.3.3.2.6.1";
export const DEFAULT_TSA_ACCURACY: Accuracy = { seconds: 1 };

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
    tsaPolicy: checkTsaPolicy(parsed.tsaPolicy ?? DEFAULT_TSA_POLICY, dir),
    tsaAccuracy: checkTsaAccuracy(parsed.tsaAccuracy ?? DEFAULT_TSA_ACCURACY, dir),
    ...(parsed.hsm ? { hsm: parseHsmConfig(parsed.hsm, configPath(dir)) } : {}),
  };
}

function checkTsaPolicy(policy: unknown, dir: string): string {
  if (typeof policy !== "string" || !/^[0-2](\.(0|[1-9]\d*))+$/.test(policy)) {
    throw new InputError("bad_ca_config", `${configPath(dir)}: tsaPolicy must be a dotted OID such as ${DEFAULT_TSA_POLICY}`);
  }
  return policy;
}

function checkTsaAccuracy(accuracy: unknown, dir: string): Accuracy {
  const limits: Record<string, number> = { seconds: 2 ** 31 - 1, millis: 999, micros: 999 };
  const valid =
    typeof accuracy === "object" &&
    accuracy !== null &&
    Object.entries(accuracy).every(
      ([unit, value]) => Object.hasOwn(limits, unit) && Number.isInteger(value) && value >= 0 && value <= limits[unit]!,
    );
  if (!valid) {
    throw new InputError("bad_ca_config", `${configPath(dir)}: tsaAccuracy must be like {"seconds": 1, "millis": 500}: whole numbers, millis and micros 0..999`);
  }
  return accuracy as Accuracy;
}

export async function readCaCertificate(dir: string, name: CaKeyName): Promise<Buffer> {
  return fromPemOrDer(await readFile(certificatePath(dir, name)), ["CERTIFICATE"], `${name} certificate`);
}
