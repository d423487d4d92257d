// The doctor's token checks (seed 3.2): the PC/SC service and readers, Kaztoken in the CCID
// driver's list, libpcsclite, and each token store's PKCS#11 library — each with its fix.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import type { RunCommand } from "../trust/run.ts";
import { Pkcs11Library, type TokenSlot } from "../tokens/pkcs11Library.ts";
import { profileOf } from "../tokens/tokenProfiles.ts";
import type { EffectiveProfile } from "../tokens/tokenSettings.ts";
import type { Finding } from "./finding.ts";
import { ccidDevices, parsePcscScan } from "./pcscTools.ts";

export const KAZTOKEN_USB = { vendorId: 0x0a89, productId: 0x0035, name: "DigiFlow LLP. KAZTOKEN" };
export const CCID_INFO_PLIST = "/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist";
export const PCSCD_PATHS = ["/usr/sbin/pcscd", "/usr/bin/pcscd", "/sbin/pcscd"];
export const LIBPCSCLITE_PATHS = [
  "/usr/lib/x86_64-linux-gnu/libpcsclite.so.1",
  "/usr/lib/aarch64-linux-gnu/libpcsclite.so.1",
  "/usr/lib/i386-linux-gnu/libpcsclite.so.1",
  "/lib/x86_64-linux-gnu/libpcsclite.so.1",
  "/usr/lib64/libpcsclite.so.1",
  "/usr/lib/libpcsclite.so.1",
];

const INSTALL_PCSC =
  "sudo apt install pcscd pcsc-tools libpcsclite1 libccid (Fedora: sudo dnf install pcsc-lite pcsc-tools ccid)";

export interface TokenCheckOptions {
  run: RunCommand;
  profiles: readonly EffectiveProfile[];
  /** Overridable for tests; the defaults are Debian's. */
  pcscdPaths?: readonly string[];
  ccidInfoPlist?: string;
  libpcscslitePaths?: readonly string[];
  /** Where the person keeps per-machine library paths (tokens.json in the agent's folder). */
  tokenSettingsPath: string;
}

/** PC/SC matters on Linux; Windows and macOS bring their own smart-card service. */
export async function checkTokens(platform: NodeJS.Platform, options: TokenCheckOptions): Promise<Finding[]> {
  const pcsc = platform === "linux" ? await checkPcsc(options) : [];
  return [...pcsc, ...(await checkLibraries(options))];
}

async function checkPcsc(options: TokenCheckOptions): Promise<Finding[]> {
  const pcscd = (options.pcscdPaths ?? PCSCD_PATHS).find((path) => existsSync(path));
  const findings: Finding[] = [
    pcscd
      ? { status: "ok", title: `pcscd is installed (${pcscd})` }
      : { status: "problem", title: "pcscd (the smart-card service) is not installed", fix: INSTALL_PCSC },
  ];
  const scan = await options.run({ command: "pcsc_scan", args: ["-r"] });
  if (scan.status === null && !scan.stdout.length) {
    findings.push({
      status: "problem",
      title: "pcsc_scan is not installed, so the readers cannot be listed",
      fix: INSTALL_PCSC,
    });
  } else {
    const result = parsePcscScan(`${scan.stdout.toString("utf8")}\n${scan.stderr}`);
    if (result.kind === "no-service")
      findings.push({
        status: "problem",
        title: "pcscd is not running",
        fix: "sudo systemctl enable --now pcscd.socket (or start it: sudo systemctl start pcscd)",
      });
    else if (result.kind === "readers" && result.readers.length === 0)
      findings.push({
        status: "problem",
        title: "pcscd sees no reader or token",
        fix: "plug the token in (another USB port, without a hub); for a Kaztoken see the CCID check below; then sudo systemctl restart pcscd and check with pcsc_scan",
      });
    else if (result.kind === "readers")
      findings.push({ status: "ok", title: `readers visible: ${result.readers.join("; ")}` });
    else
      findings.push({
        status: "problem",
        title: `pcsc_scan said something unexpected: ${result.output.slice(0, 200)}`,
      });
  }
  findings.push(await checkKaztokenInCcid(options.ccidInfoPlist ?? CCID_INFO_PLIST));
  const libpcsclite = (options.libpcscslitePaths ?? LIBPCSCLITE_PATHS).find((path) => existsSync(path));
  findings.push(
    libpcsclite
      ? {
          status: "ok",
          title: `libpcsclite.so.1 is at ${libpcsclite}`,
          fix: "a token program that asks for the PC/SC library's path (KZ ID card, eToken, JaCarta) wants this one",
        }
      : {
          status: "problem",
          title: "libpcsclite.so.1 is not installed",
          fix: "sudo apt install libpcsclite1",
        },
  );
  return findings;
}

async function checkKaztokenInCcid(plistPath: string): Promise<Finding> {
  let plist: string;
  try {
    plist = await readFile(plistPath, "utf8");
  } catch {
    return {
      status: "problem",
      title: `the CCID driver is not installed (${plistPath} is missing)`,
      fix: "sudo apt install libccid",
    };
  }
  const listed = ccidDevices(plist).some(
    (device) => device.vendorId === KAZTOKEN_USB.vendorId && device.productId === KAZTOKEN_USB.productId,
  );
  return listed
    ? { status: "ok", title: "Kaztoken is in the CCID driver's list" }
    : {
        status: "problem",
        title: "Kaztoken (USB 0A89:0035) is missing from the CCID driver's list, so pcscd ignores it",
        fix: `in ${plistPath} add 0x0A89 at the end of ifdVendorID, 0x0035 at the end of ifdProductID and "${KAZTOKEN_USB.name}" at the end of ifdFriendlyName (same position in all three lists), then sudo systemctl restart pcscd and check with pcsc_scan`,
      };
}

/** Each store's library: installed where, whether it loads, and the tokens it sees that the store recognises. */
async function checkLibraries(options: TokenCheckOptions): Promise<Finding[]> {
  const installed = options.profiles.map((profile) => ({ profile, path: installedLibrary(profile) }));
  const listings = new Map<string, Promise<TokenSlot[] | Error>>();
  const findings: Finding[] = [];
  for (const { profile, path } of installed) {
    const where = `${profile.title} (${profile.store})`;
    if (path === undefined) {
      findings.push({
        status: "hint",
        title: `${where}: no PKCS#11 library found (looked for ${profile.libraries.join(", ")})`,
        fix: `only needed if you use a ${profile.title}: install its driver from the vendor, or give its library's path in ${options.tokenSettingsPath} as {"${profile.store}": {"libraries": ["/path/to/library"]}}`,
      });
      continue;
    }
    if (!listings.has(path)) listings.set(path, tokensIn(path));
    const listing = await listings.get(path)!;
    if (listing instanceof Error) {
      findings.push({
        status: "problem",
        title: `${where}: ${listing.message}`,
        fix: `reinstall the ${profile.title} driver from the vendor (for this computer's processor), or correct its path in ${options.tokenSettingsPath}`,
      });
      continue;
    }
    // As the agent does: a token goes to the first store, among those sharing the library, that recognises it.
    const sharing = installed.filter((entry) => entry.path === path).map((entry) => entry.profile);
    const present = listing.filter((slot) => profileOf(slot, sharing) === profile);
    findings.push(
      present.length > 0
        ? {
            status: "ok",
            title: `${where}: PKCS#11 library ${path}, token present: ${present.map((slot) => `"${slot.label}" (${slot.model}, serial ${slot.serial})`).join(", ")}`,
          }
        : {
            status: "hint",
            title: `${where}: PKCS#11 library ${path}, no ${profile.title} plugged in`,
            fix: `only needed if you use a ${profile.title}: plug it in; if it is plugged in, see the reader checks above`,
          },
    );
  }
  return findings;
}

/** Windows names are found through the DLL search path, where vendors install into System32. */
function installedLibrary(profile: EffectiveProfile): string | undefined {
  return profile.libraries
    .map((path) =>
      isAbsolute(path) ? path : join(process.env.SystemRoot ?? "C:\\Windows", "System32", path),
    )
    .find((path) => existsSync(path));
}

async function tokensIn(path: string): Promise<TokenSlot[] | Error> {
  let library: Pkcs11Library | undefined;
  try {
    library = new Pkcs11Library(path);
    return await library.tokens();
  } catch (error) {
    return error as Error;
  } finally {
    await library?.close().catch(() => undefined);
  }
}
