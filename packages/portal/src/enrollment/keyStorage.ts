import type { KeyStorage } from "@qoltanba/pki";

/** The key storages of the seed, with the agent's (NCALayer's) storage name for each. */
export const KEY_STORAGES = {
  file: { agentStorage: "PKCS12", validity: "file" },
  idcard: { agentStorage: "AKKZIDCardStore", validity: "token" },
  etoken: { agentStorage: "AKEToken72KStore", validity: "token" },
  jacarta: { agentStorage: "AKJaCartaStore", validity: "token" },
  kaztoken: { agentStorage: "AKKaztokenStore", validity: "token" },
} as const satisfies Record<string, { agentStorage: string; validity: KeyStorage }>;

export type KeyStorageKind = keyof typeof KEY_STORAGES;
export const KEY_STORAGE_KINDS = Object.keys(KEY_STORAGES) as KeyStorageKind[];
export const isKeyStorageKind = (value: unknown): value is KeyStorageKind =>
  typeof value === "string" && value in KEY_STORAGES;
