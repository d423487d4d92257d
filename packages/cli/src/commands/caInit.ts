import { HSM_PIN_ENV, initCertificateAuthority, type InitOptions, PASSWORD_ENV, readHsmPins, readKeyPassword, TOKEN_PIN_FLAG, tokenPinEnv } from "@qoltanba/ca";
import { EXIT, required, UsageError, type Command } from "../command.ts";
import { SECRET_FILE_OPTIONS, secretFiles } from "../secretFlags.ts";

export const caInit: Command = {
  usage: `qoltanba ca init --dir DIR [--db URL] [--base-url URL] [--password-file FILE]
                        [--root-cn NAME] [--issuing-cn NAME] [--organization NAME]
                        [--issuing-key-bits 2048|3072|4096] [--accept-test-iin]
                        [--hsm MODULE --slot LABEL [--issuing-slot LABEL] [--pin-file FILE | ${TOKEN_PIN_FLAG} TOKEN=FILE...]
                         [--key-label-prefix P] [--root-offline DIR]]

  --dir DIR              the CA folder (created; must be empty)
  --db URL               sqlite:PATH (default sqlite:ca.sqlite in DIR) or postgres://HOST/DB[?schema=NAME]
  --base-url URL         where the CA publishes (default http://127.0.0.1:8080): CRL, OCSP, TSA, AIA and CPS URLs derive from it
  --password-file FILE   the key password (first line); otherwise env QOLTANBA_KEY_PASSWORD (never a flag)
  --accept-test-iin      NCA-style test mode: accept the public test IIN 123456789011
  --hsm MODULE           generate the keys inside this PKCS#11 module's token (never exported), e.g.
                         /usr/lib/softhsm/libsofthsm2.so; no key files then
  --slot LABEL           the token's label
  --issuing-slot LABEL   put the issuing key (and a root kept on the HSM) on this other token, OCSP and TSA
                         on --slot: a node given only --slot's PIN answers OCSP and TSA but cannot issue
  --pin-file FILE        the token's user PIN (first line); otherwise env ${HSM_PIN_ENV} (never a flag)
  ${TOKEN_PIN_FLAG} TOKEN=FILE
                         with --issuing-slot: each token's PIN (first line), once per token; otherwise
                         env ${tokenPinEnv("TOKEN")} (the label upper-cased, other characters as _)
  --key-label-prefix P   the keys' CKA_LABEL prefix (default qoltanba-: qoltanba-issuing, ...)
  --root-offline DIR     keep the root key off the HSM and out of DIR: in this empty folder on offline
                         media, encrypted with the key password (${PASSWORD_ENV}); see docs/key-ceremony.md`,
  options: {
    dir: { type: "string" },
    db: { type: "string" },
    "base-url": { type: "string" },
    "root-cn": { type: "string" },
    "issuing-cn": { type: "string" },
    organization: { type: "string" },
    "issuing-key-bits": { type: "string" },
    "accept-test-iin": { type: "boolean" },
    hsm: { type: "string" },
    slot: { type: "string" },
    ...SECRET_FILE_OPTIONS,
    "issuing-slot": { type: "string" },
    "key-label-prefix": { type: "string" },
    "root-offline": { type: "string" },
  },
  async run(values) {
    const bits = values["issuing-key-bits"] === undefined ? 2048 : Number(values["issuing-key-bits"]);
    if (bits !== 2048 && bits !== 3072 && bits !== 4096) throw new UsageError("--issuing-key-bits must be 2048, 3072 or 4096");
    const dir = required(values, "dir");
    const module = values.hsm as string | undefined;
    const rootOffline = values["root-offline"] as string | undefined;
    const secrets = secretFiles(values);
    const issuingSlot = values["issuing-slot"] as string | undefined;
    if (module === undefined && [values.slot, issuingSlot, secrets.pinFile, secrets.tokenPinFiles, rootOffline].some((value) => value !== undefined)) {
      throw new UsageError(`--slot, --issuing-slot, --pin-file, ${TOKEN_PIN_FLAG} and --root-offline go with --hsm MODULE`);
    }
    let hsm: InitOptions["hsm"];
    if (module !== undefined) {
      const slotLabel = required(values, "slot");
      const pins = await readHsmPins([...new Set([issuingSlot ?? slotLabel, slotLabel])], secrets, "every");
      hsm = {
        module,
        slotLabel,
        pin: pins.get(slotLabel)!,
        ...(issuingSlot === undefined ? {} : { issuingToken: { slotLabel: issuingSlot, pin: pins.get(issuingSlot)! } }),
        ...(values["key-label-prefix"] ? { keyLabelPrefix: values["key-label-prefix"] as string } : {}),
      };
    }
    // With every key on the HSM, no key file is written, so no password is asked.
    const needsPassword = hsm === undefined || rootOffline !== undefined;
    const config = await initCertificateAuthority({
      dir,
      ...(needsPassword ? { password: await readKeyPassword(secrets.passwordFile) } : {}),
      ...(hsm ? { hsm } : {}),
      ...(rootOffline !== undefined ? { rootOffline } : {}),
      ...(values.db ? { databaseUrl: values.db as string } : {}),
      ...(values["base-url"] ? { baseUrl: values["base-url"] as string } : {}),
      names: {
        ...(values["root-cn"] ? { rootCommonName: values["root-cn"] as string } : {}),
        ...(values["issuing-cn"] ? { issuingCommonName: values["issuing-cn"] as string } : {}),
        ...(values.organization ? { organization: values.organization as string } : {}),
      },
      issuingKeyBits: bits,
      acceptTestIin: values["accept-test-iin"] === true,
    });
    process.stderr.write(`CA created in ${dir}, publishing at ${config.baseUrl}\n`);
    return EXIT.ok;
  },
};
