// The doctor's token checks against the real tools and files of this Debian machine: pcscd and
// pcsc_scan, the CCID driver's Info.plist, libpcsclite, SoftHSM2 as a token library.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSoftHsmToken, SOFTHSM_MODULE } from "../../../pki/src/test-support/softhsm.ts";
import { softHsmForEveryStore } from "../testing/testTokens.ts";
import { effectiveProfiles } from "../tokens/tokenSettings.ts";
import { runCommand } from "../trust/run.ts";
import { ccidDevices, parsePcscScan } from "./pcscTools.ts";
import { CCID_INFO_PLIST, checkTokens, KAZTOKEN_USB } from "./tokenChecks.ts";

const pcscScan = async () => {
  const result = await runCommand({ command: "pcsc_scan", args: ["-r"] });
  return parsePcscScan(`${result.stdout.toString("utf8")}\n${result.stderr}`);
};

/** Debian's Info.plist with Kaztoken added as the seed tells a person to. */
function withKaztoken(plist: string): string {
  const append = (key: string, value: string) =>
    plist.replace(
      new RegExp(`(<key>${key}</key>\\s*<array>[\\s\\S]*?)(\\s*</array>)`),
      `$1\n\t\t<string>${value}</string>$2`,
    );
  plist = append("ifdVendorID", "0x0A89");
  plist = append("ifdProductID", "0x0035");
  return append("ifdFriendlyName", KAZTOKEN_USB.name);
}

test("the CCID driver's real Info.plist: three parallel lists; Kaztoken missing from Debian's, found once added", () => {
  const plist = readFileSync(CCID_INFO_PLIST, "utf8");
  const devices = ccidDevices(plist);
  assert.ok(devices.length > 100, `${devices.length} devices`);
  assert.equal(
    devices.length,
    plist.match(/<key>ifdFriendlyName<\/key>\s*<array>([\s\S]*?)<\/array>/)![1]!.match(/<string>/g)!.length,
  );
  assert.ok(
    devices.every(
      (device) => Number.isInteger(device.vendorId) && Number.isInteger(device.productId) && device.name,
    ),
  );
  assert.ok(!devices.some((device) => device.vendorId === 0x0a89 && device.productId === 0x0035));
  const fixed = ccidDevices(withKaztoken(plist));
  assert.deepEqual(fixed.at(-1), KAZTOKEN_USB);
  assert.equal(fixed.length, devices.length + 1);
});

test("pcscd stopped, then running without readers, as pcsc_scan reports them; Kaztoken, libraries and the tokens they see, with their fixes", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "qoltanba-doctor-tokens-"));
  const fixedPlist = join(dir, "Info.plist");
  writeFileSync(fixedPlist, withKaztoken(readFileSync(CCID_INFO_PLIST, "utf8")));
  const notALibrary = join(dir, "libjcPKCS11-2.so");
  writeFileSync(notALibrary, "not a shared library");
  const kaztoken = createSoftHsmToken("KAZTOKEN");
  const profiles = effectiveProfiles(
    {
      ...softHsmForEveryStore(),
      AKJaCartaStore: { libraries: [notALibrary] },
      AKAKEYStore: { libraries: [join(dir, "missing.so")] },
    },
    "linux",
  );
  const check = (ccidInfoPlist = CCID_INFO_PLIST) =>
    checkTokens("linux", {
      run: runCommand,
      profiles,
      tokenSettingsPath: "/home/me/agent/tokens.json",
      ccidInfoPlist,
    });

  let pcscd: ReturnType<typeof spawn> | undefined;
  t.after(() => pcscd?.kill());
  if ((await pcscScan()).kind === "no-service") {
    const stopped = await check();
    assert.deepEqual(
      stopped.find((finding) => finding.title === "pcscd is not running"),
      {
        status: "problem",
        title: "pcscd is not running",
        fix: "sudo systemctl enable --now pcscd.socket (or start it: sudo systemctl start pcscd)",
      },
    );
    pcscd = spawn("pcscd", ["--foreground"], { stdio: "ignore" });
    for (let attempt = 0; attempt < 50 && (await pcscScan()).kind === "no-service"; attempt++)
      await new Promise((done) => setTimeout(done, 100));
  }
  const findings = await check();
  const byTitle = (pattern: RegExp) => findings.find((finding) => pattern.test(finding.title));
  assert.equal(byTitle(/^pcscd is installed/)?.status, "ok");
  // This machine has no reader: pcsc_scan's own "No reader found." becomes the finding.
  assert.deepEqual(byTitle(/reader/), {
    status: "problem",
    title: "pcscd sees no reader or token",
    fix: "plug the token in (another USB port, without a hub); for a Kaztoken see the CCID check below; then sudo systemctl restart pcscd and check with pcsc_scan",
  });
  const kaztokenInCcid = byTitle(/Kaztoken/)!;
  assert.equal(kaztokenInCcid.status, "problem");
  assert.match(
    kaztokenInCcid.fix!,
    /add 0x0A89 at the end of ifdVendorID, 0x0035 at the end of ifdProductID and "DigiFlow LLP\. KAZTOKEN"/,
  );
  assert.equal(byTitle(/libpcsclite/)?.status, "ok");
  assert.match(byTitle(/libpcsclite/)!.title, /^libpcsclite\.so\.1 is at \/usr\/lib\/.*libpcsclite\.so\.1$/);
  assert.deepEqual(
    findings.filter((finding) => finding.title.includes("PKCS#11 library")).map((finding) => finding.status),
    ["ok", "hint", "hint", "hint", "problem", "hint"],
  );
  assert.match(
    byTitle(/^Kaztoken \(AKKaztokenStore\): PKCS#11 library/)!.title,
    new RegExp(
      `^Kaztoken \\(AKKaztokenStore\\): PKCS#11 library ${SOFTHSM_MODULE}, token present: "${kaztoken.label}" \\(SoftHSM v2, serial [0-9a-f]{16}\\)$`,
    ),
  );
  assert.equal(
    byTitle(/^KZ ID card/)?.title,
    `KZ ID card (AKKZIDCardStore): PKCS#11 library ${SOFTHSM_MODULE}, no KZ ID card plugged in`,
  );
  const jaCarta = byTitle(/^JaCarta/)!;
  assert.match(
    jaCarta.title,
    new RegExp(`^JaCarta \\(AKJaCartaStore\\): cannot load the PKCS#11 library ${notALibrary}: `),
  );
  assert.match(jaCarta.fix!, /reinstall the JaCarta driver from the vendor/);
  const akey = byTitle(/^AKey/)!;
  assert.equal(akey.status, "hint");
  assert.match(
    akey.fix!,
    /in \/home\/me\/agent\/tokens\.json as \{"AKAKEYStore": \{"libraries": \["\/path\/to\/library"\]\}\}/,
  );

  assert.deepEqual(
    (await check(fixedPlist)).find((finding) => /Kaztoken is/.test(finding.title)),
    {
      status: "ok",
      title: "Kaztoken is in the CCID driver's list",
    },
  );
});

test("pcsc_scan's output: readers listed (colours removed), none, no service", () => {
  assert.deepEqual(parsePcscScan("No reader found.\n"), { kind: "readers", readers: [] });
  assert.deepEqual(parsePcscScan("SCardEstablishContext: Service not available.\n"), { kind: "no-service" });
  // The reader lines' format is pcsc_scan's own printf, "%s%d: %s%s", with colour escapes on a terminal.
  assert.deepEqual(
    parsePcscScan("\x1b[35m0: \x1b[0mDigiFlow LLP. KAZTOKEN 00 00\x1b[0m\n1: Gemalto PC Twin Reader 01 00\n"),
    {
      kind: "readers",
      readers: ["DigiFlow LLP. KAZTOKEN 00 00", "Gemalto PC Twin Reader 01 00"],
    },
  );
});
