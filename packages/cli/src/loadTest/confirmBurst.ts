// A Registration Center's burst of confirmations as a process of its own, so a test can kill it
// half-way: confirms the applications listed in a file (one number per line), `concurrency` at a
// time, and prints "issued NUMBER" as each one's certificates are recorded.
// Usage: node --import tsx confirmBurst.ts CA_DIR NUMBERS_FILE CONCURRENCY   (password: QOLTANBA_KEY_PASSWORD)
import { readFileSync } from "node:fs";
import { openCertificateAuthority, PASSWORD_ENV } from "@qoltanba/ca";
import { openPortalForCa } from "@qoltanba/portal";

const [dir, numbersFile, concurrency] = process.argv.slice(2) as [string, string, string];
const ca = await openCertificateAuthority(dir, { password: process.env[PASSWORD_ENV]! });
const portal = await openPortalForCa(ca);
const queue = readFileSync(numbersFile, "utf8").split("\n").filter(Boolean);
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    for (let number = queue.shift(); number !== undefined; number = queue.shift()) {
      await portal.lifecycle.confirmApplication(number, "operator-load");
      process.stdout.write(`issued ${number}\n`);
    }
  }),
);
await portal.close();
await ca.close();
