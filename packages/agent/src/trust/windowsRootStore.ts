import type { TrustedCertificate } from "./certificates.ts";
import type { CommandLine, RunCommand } from "./run.ts";

/** Windows' own certutil on the current user's root store; adding shows Windows' security warning to confirm. */
export const windowsRootCommands = {
  add: (file: string): CommandLine => ({ command: "certutil", args: ["-user", "-addstore", "Root", file] }),
  delete: (sha1: string): CommandLine => ({
    command: "certutil",
    args: ["-user", "-delstore", "Root", sha1],
  }),
  show: (sha1: string): CommandLine => ({ command: "certutil", args: ["-user", "-store", "Root", sha1] }),
};

export async function windowsRootTrusts(certificate: TrustedCertificate, run: RunCommand): Promise<boolean> {
  return (await run(windowsRootCommands.show(certificate.sha1))).status === 0;
}
