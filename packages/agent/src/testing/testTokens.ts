// Test-only: SoftHSM2's library standing in for every vendor's, through the per-machine override.
import { SOFTHSM_MODULE } from "../../../pki/src/test-support/softhsm.ts";
import { HARDWARE_STORAGES } from "../protocol/messages.ts";
import type { TokenSettings } from "../tokens/tokenSettings.ts";

export const softHsmForEveryStore = (): TokenSettings =>
  Object.fromEntries(HARDWARE_STORAGES.map((store) => [store, { libraries: [SOFTHSM_MODULE] }]));
