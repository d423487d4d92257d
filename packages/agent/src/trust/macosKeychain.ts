import type { TrustedCertificate } from "./certificates.ts";
import type { CommandLine, RunCommand } from "./run.ts";

export const keychainCommands = {
  /** Adds the certificate and marks it trusted as a root for the user; macOS asks for the login password. */
  add: (keychain: string, file: string): CommandLine => ({
    command: "security",
    args: ["add-trusted-cert", "-r", "trustRoot", "-k", keychain, file],
  }),
  removeTrust: (file: string): CommandLine => ({ command: "security", args: ["remove-trusted-cert", file] }),
  delete: (keychain: string, sha1: string): CommandLine => ({
    command: "security",
    args: ["delete-certificate", "-Z", sha1, keychain],
  }),
  find: (keychain: string, name: string): CommandLine => ({
    command: "security",
    args: ["find-certificate", "-a", "-Z", "-c", name, keychain],
  }),
  trustSettings: (): CommandLine => ({ command: "security", args: ["dump-trust-settings"] }),
};

/** True when the keychain holds this certificate (by SHA-1) and the user's trust settings name it. */
export async function keychainTrusts(
  keychain: string,
  certificate: TrustedCertificate,
  run: RunCommand,
): Promise<boolean> {
  const found = await run(keychainCommands.find(keychain, certificate.name));
  if (
    found.status !== 0 ||
    !found.stdout.toString("utf8").toUpperCase().includes(`SHA-1 HASH: ${certificate.sha1}`)
  )
    return false;
  const settings = await run(keychainCommands.trustSettings());
  return settings.status === 0 && settings.stdout.toString("utf8").includes(`: ${certificate.name}\n`);
}
