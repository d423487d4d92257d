// Test-only: loads ncalayer-js-client (a real NCALayer client no one here wrote) in Node, with a
// browser-like WebSocket global that trusts the agent's test CA and sends the page's origin.
import { createRequire } from "node:module";
import WebSocket from "ws";

export interface NcaLayerClientInstance {
  connect(): Promise<string>;
  getActiveTokens(): Promise<string[]>;
  getKeyInfo(storage: string): Promise<Record<string, string>>;
  createCAdESFromBase64(storage: string, data: string, keyType?: string, attach?: boolean): Promise<string>;
  createCAdESFromBase64Hash(storage: string, hash: string, keyType?: string): Promise<string>;
  basicsSignCMS(
    storages: unknown,
    data: unknown,
    signingParams: unknown,
    signerParams: unknown,
    locale?: string,
  ): Promise<string | string[]>;
  changeLocale(locale: string): Promise<void>;
  wsConnection: WebSocket;
}
export interface NcaLayerClientClass {
  new (url: string, allowKmdHttpApi?: boolean): NcaLayerClientInstance;
  basicsStoragePKCS12: string[];
  basicsStorageAll: null;
  basicsCMSParamsAttached: object;
  basicsCMSParamsDetachedNoTSP: object;
  basicsSignerSignAny: object;
  basicsSignerAuthAny: object;
}

/** `origin()` is read at each new connection: which origin the next WebSocket presents. */
export function loadNcaLayerClient(ca: string, origin: () => string | undefined): NcaLayerClientClass {
  (globalThis as Record<string, unknown>).WebSocket = class extends WebSocket {
    constructor(url: string) {
      const from = origin();
      super(url, { ca, ...(from ? { origin: from } : {}) });
    }
  };
  return (createRequire(import.meta.url)("ncalayer-js-client") as { NCALayerClient: NcaLayerClientClass })
    .NCALayerClient;
}
