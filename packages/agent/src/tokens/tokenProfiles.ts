// The hardware key storages of the NCALayer protocol as data: which PKCS#11 library each vendor
// installs where, and how to tell its tokens apart. `tokens.json` in the agent's folder overrides
// any of it per machine (tokenSettings.ts).
import type { HARDWARE_STORAGES } from "../protocol/messages.ts";

export type HardwareStorage = (typeof HARDWARE_STORAGES)[number];
export type TokenPlatform = "win32" | "linux" | "darwin";

export interface TokenProfile {
  readonly store: HardwareStorage;
  /** What the person calls it. */
  readonly title: string;
  /** The vendor's PKCS#11 library, full paths tried in order (Windows names resolve through the DLL search path). */
  readonly libraries: Readonly<Record<TokenPlatform, readonly string[]>>;
  /**
   * A token belongs to this store when one of these matches its CK_TOKEN_INFO field. Profiles are
   * tried in the order of TOKEN_PROFILES, so the eToken 5110 is told apart before the PRO 72K.
   */
  readonly recognise: { readonly manufacturer?: RegExp; readonly model?: RegExp; readonly label?: RegExp };
}

const SAFENET_LIBRARIES: TokenProfile["libraries"] = {
  win32: ["eTPKCS11.dll"],
  linux: ["/usr/lib/libeTPkcs11.so", "/usr/lib64/libeTPkcs11.so", "/usr/lib/x86_64-linux-gnu/libeTPkcs11.so"],
  darwin: [
    "/usr/local/lib/libeTPkcs11.dylib",
    "/Library/Frameworks/eToken.framework/Versions/Current/libeToken.dylib",
  ],
};

export const TOKEN_PROFILES: readonly TokenProfile[] = [
  {
    store: "AKKaztokenStore",
    title: "Kaztoken",
    libraries: {
      win32: ["kaztoken.dll", "KazToken_pkcs11.dll"],
      linux: [
        "/usr/lib/libkaztoken.so",
        "/usr/local/lib/libkaztoken.so",
        "/usr/lib/x86_64-linux-gnu/libkaztoken.so",
      ],
      darwin: ["/usr/local/lib/libkaztoken.dylib", "/Library/Kaztoken/libkaztoken.dylib"],
    },
    recognise: { manufacturer: /digiflow/i, model: /kaztoken/i, label: /kaztoken/i },
  },
  {
    store: "AKKZIDCardStore",
    title: "KZ ID card",
    libraries: {
      win32: ["kzidcard_pkcs11.dll", "IDPrimePKCS11.dll"],
      linux: [
        "/usr/lib/libkzidcard_pkcs11.so",
        "/usr/lib/libIDPrimePKCS11.so",
        "/usr/lib/x86_64-linux-gnu/libIDPrimePKCS11.so",
      ],
      darwin: ["/usr/local/lib/libkzidcard_pkcs11.dylib", "/usr/local/lib/libIDPrimePKCS11.dylib"],
    },
    recognise: { model: /id ?card|idprime/i, label: /kz ?id|id ?card/i },
  },
  {
    store: "AKEToken5110Store",
    title: "eToken 5110",
    libraries: SAFENET_LIBRARIES,
    recognise: { model: /5110/, label: /etoken 5110/i },
  },
  {
    store: "AKEToken72KStore",
    title: "eToken PRO 72K",
    libraries: SAFENET_LIBRARIES,
    recognise: { model: /etoken/i, label: /etoken/i },
  },
  {
    store: "AKJaCartaStore",
    title: "JaCarta",
    libraries: {
      win32: ["jcPKCS11-2.dll", "jcPKCS11.dll"],
      linux: [
        "/usr/lib/libjcPKCS11-2.so",
        "/usr/lib/x86_64-linux-gnu/libjcPKCS11-2.so",
        "/opt/aladdin/jcpkcs11-2/lib/libjcPKCS11-2.so",
      ],
      darwin: [
        "/Library/AladdinRD/JaCartaPKCS11/lib/libjcPKCS11-2.dylib",
        "/usr/local/lib/libjcPKCS11-2.dylib",
      ],
    },
    recognise: { manufacturer: /aladdin r\.?d/i, model: /jacarta/i, label: /jacarta/i },
  },
  {
    store: "AKAKEYStore",
    title: "AKey",
    libraries: {
      win32: ["akey_pkcs11.dll"],
      linux: ["/usr/lib/libakey_pkcs11.so", "/usr/local/lib/libakey_pkcs11.so"],
      darwin: ["/usr/local/lib/libakey_pkcs11.dylib"],
    },
    recognise: { model: /akey/i, label: /akey/i },
  },
];

export interface TokenInfoFields {
  manufacturer: string;
  model: string;
  label: string;
}

/** The first profile (of `profiles`, in order) that recognises the token. */
export function profileOf<P extends Pick<TokenProfile, "recognise">>(
  token: TokenInfoFields,
  profiles: readonly P[],
): P | undefined {
  return profiles.find(({ recognise }) =>
    (["manufacturer", "model", "label"] as const).some((field) => recognise[field]?.test(token[field])),
  );
}
