// Readers of the PC/SC tools' output and files, for the doctor's token checks (seed 3.2).

/** `pcsc_scan -r`: the readers pcscd sees, or why it could not ask. */
export type PcscScan =
  | { readonly kind: "readers"; readonly readers: string[] }
  | { readonly kind: "no-service" }
  | { readonly kind: "unreadable"; readonly output: string };

// pcsc_scan colours its output on a terminal; the escapes go before reading.
const COLOUR_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
const stripAnsi = (text: string) => text.replace(COLOUR_ESCAPE, "");

export function parsePcscScan(output: string): PcscScan {
  const text = stripAnsi(output);
  if (/SCardEstablishContext: Service not available/.test(text)) return { kind: "no-service" };
  if (/^No reader found\.$/m.test(text)) return { kind: "readers", readers: [] };
  const readers = [...text.matchAll(/^\s*\d+: (.+?)\s*$/gm)].map((match) => match[1]!);
  return readers.length > 0 ? { kind: "readers", readers } : { kind: "unreadable", output: text.trim() };
}

export interface CcidDevice {
  vendorId: number;
  productId: number;
  name: string;
}

/** The devices of the CCID driver's Info.plist: the parallel arrays ifdVendorID, ifdProductID, ifdFriendlyName. */
export function ccidDevices(plist: string): CcidDevice[] {
  const array = (key: string): string[] => {
    const match = new RegExp(`<key>${key}</key>\\s*<array>([\\s\\S]*?)</array>`).exec(plist);
    return match ? [...match[1]!.matchAll(/<string>([^<]*)<\/string>/g)].map((item) => item[1]!.trim()) : [];
  };
  const vendors = array("ifdVendorID");
  const products = array("ifdProductID");
  const names = array("ifdFriendlyName");
  return vendors.map((vendor, index) => ({
    vendorId: Number.parseInt(vendor, 16),
    productId: Number.parseInt(products[index] ?? "", 16),
    name: names[index] ?? "",
  }));
}
