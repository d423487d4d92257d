import type { TrustedCertificate } from "./certificates.ts";
import type { CommandLine, RunCommand } from "./run.ts";

/** NSS's certutil (Debian: libnss3-tools) on the SQL database format every current browser uses. */
const certutil = (directory: string, ...args: string[]): CommandLine => ({
  command: "certutil",
  args: ["-d", `sql:${directory}`, ...args],
});

export const nssCommands = {
  create: (directory: string): CommandLine => ({
    command: "certutil",
    args: ["-N", "-d", `sql:${directory}`, "--empty-password"],
  }),
  /** Trust flags "C,,": a CA trusted to issue TLS server certificates, nothing else. */
  add: (directory: string, name: string, file: string) =>
    certutil(directory, "-A", "-t", "C,,", "-n", name, "-i", file),
  delete: (directory: string, name: string) => certutil(directory, "-D", "-n", name),
  read: (directory: string, name: string) => certutil(directory, "-L", "-n", name, "-r"),
  list: (directory: string) => certutil(directory, "-L"),
};

/** The trust flags certutil -L shows for `nickname` ("C,,", "CT,C,C", …), if listed. */
export function nssTrustFlags(listing: string, nickname: string): string | undefined {
  for (const line of listing.split("\n")) {
    const match = /^(.*\S)\s+(\S*,\S*,\S*)\s*$/.exec(line);
    if (match && match[1] === nickname) return match[2];
  }
  return undefined;
}

/** True when this very certificate is in the database under its name and trusted for TLS servers. */
export async function nssTrusts(
  directory: string,
  certificate: TrustedCertificate,
  run: RunCommand,
): Promise<boolean> {
  const stored = await run(nssCommands.read(directory, certificate.name));
  if (stored.status !== 0 || !stored.stdout.equals(certificate.der)) return false;
  const listing = await run(nssCommands.list(directory));
  const sslFlags = nssTrustFlags(listing.stdout.toString("utf8"), certificate.name)?.split(",")[0] ?? "";
  return sslFlags.includes("C");
}
