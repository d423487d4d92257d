// The service under load and through a crash, as issue #8 asks: 1,000 people apply at once through
// the HTTP API of a real `qoltanba serve` (their keys and CSRs made here, as the agent would make
// them; the server trusts 127.0.0.1 as its load balancer, so each person has an address of their
// own); then a burst of confirmations is cut by SIGKILL, and the server with it, half-way. After the
// restart every application is issued exactly once, every e-mail sent once, and the audit log holds.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createPublicKey, type KeyObject } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { initCertificateAuthority, openCertificateAuthority } from "@qoltanba/ca";
import { PortalStore, type ApplicationStatus } from "@qoltanba/portal";
import { createCertificationRequest, localSigningKey, makeIin, toPem } from "@qoltanba/pki";
import { temporaryDirectory } from "../../ca/src/testSupport.ts";
import { Browser, captchaAnswer, Inbox } from "../../portal/src/testSupport.ts";
import { loadTestRsaKeys } from "./loadTest/loadTestKeys.ts";
import { BIN, eventually, freePort, startServe, stopServe } from "./testSupport.ts";

const PEOPLE = 1000;
const CONFIRMED = 200;
const PASSWORD = "load and crash test password";
const CLAIM_SECONDS = 2;
const CONFIRM_BURST = join(import.meta.dirname, "loadTest/confirmBurst.ts");
/** Waiting for a thousand e-mails or a restart on a busy machine. */
const PATIENCE_MILLISECONDS = 300_000;

/** Valid IINs of PEOPLE different persons born on one day. */
function persons(): string[] {
  const iins: string[] = [];
  for (let serial = 1; iins.length < PEOPLE; serial++) {
    const iin = makeIin(new Date(Date.UTC(1991, 11, 16)), serial % 2 ? "male" : "female", serial);
    if (iin) iins.push(iin);
  }
  return iins;
}

/** A CSR made as the agent makes one: PKCS#10 signed by the key it certifies. */
async function csrOf(privateKey: KeyObject): Promise<string> {
  const publicKeyInfo = createPublicKey(privateKey).export({ type: "spki", format: "der" });
  return toPem("CERTIFICATE REQUEST", await createCertificationRequest({ publicKeyInfo, key: localSigningKey(privateKey) }));
}

describe("1,000 applications at once, then a crash in the middle of issuance", () => {
  const work = temporaryDirectory("qoltanba-load-");
  const dir = join(work, "ca");
  const iins = persons();
  /** Application number → how many e-mails arrived for it over SMTP. */
  const inbox = new Inbox();
  /** How many e-mails arrived for an application (its number is in every subject). */
  const mailsFor = (number: string) =>
    inbox.messages.filter((message) => message.subject?.replace(/\D/g, "") === number).length;
  const numbers: string[] = [];
  let server: ChildProcess;
  let store: PortalStore;
  let environment: NodeJS.ProcessEnv;
  let listen: string;
  let url: string;

  before(async () => {
    await inbox.start();
    const personsFile = join(work, "persons.csv");
    writeFileSync(personsFile, ["iin,surname,given_name,patronymic", ...iins.map((iin) => `${iin},ЖҮКТЕМЕ,АДАМ,`)].join("\n"));
    listen = `127.0.0.1:${await freePort()}`;
    await initCertificateAuthority({ dir, password: PASSWORD, baseUrl: `http://${listen}`, issuingKeyBits: 2048 });
    environment = {
      ...process.env,
      QOLTANBA_KEY_PASSWORD: PASSWORD,
      QOLTANBA_PERSONS: personsFile,
      QOLTANBA_SMTP_URL: `smtp://127.0.0.1:${inbox.port}`,
      QOLTANBA_TRUSTED_PROXIES: "127.0.0.1",
      QOLTANBA_ISSUANCE_CLAIM_SECONDS: String(CLAIM_SECONDS),
    };
    ({ server } = await startServe(["--dir", dir, "--listen", listen], environment));
    url = `http://${listen}`;
    store = await PortalStore.open("sqlite:portal.sqlite", dir);
  });

  after(async () => {
    await stopServe(server);
    await store?.close();
    await inbox.stop();
  });

  const countOf = async (status: ApplicationStatus) =>
    Number(
      (
        await store.db
          .selectFrom("applications")
          .select((eb) => eb.fn.countAll().as("count"))
          .where("status", "=", status)
          .executeTakeFirstOrThrow()
      ).count,
    );

  test(`${PEOPLE} people apply at the same time: every application stored once with its own number, one e-mail each, no 5xx`, async () => {
    const keys = await loadTestRsaKeys(2 * PEOPLE);
    const csrs = await Promise.all(keys.map(csrOf));
    const statuses: number[] = [];
    const apply = async (iin: string, index: number): Promise<string> => {
      const person = new Browser(url, { "x-forwarded-for": `10.${index >> 8}.${index & 255}.7` });
      const step = <T extends { status: number }>(response: T) => (statuses.push(response.status), response);
      step(await person.page("/individuals"));
      const agreed = step(await person.post("/apply", { agree: "yes" }));
      const { id, answer } = await captchaAnswer({ store }, agreed.text);
      const identified = step(await person.post("/apply/identity", { captchaId: id, captcha: answer, iin }));
      assert.equal(identified.url, "/apply/details", `${iin}: ${identified.status}`);
      const submitted = step(
        await person.request("/apply/submit", {
          method: "POST",
          headers: { "x-csrf-token": person.csrfToken },
          json: {
            iin,
            email: `${iin}@example.kz`,
            emailRepeat: `${iin}@example.kz`,
            region: "astana",
            locality: "astana.esil",
            center: "astana.esil.rc",
            storage: "file",
            authCsr: csrs[2 * index]!,
            signCsr: csrs[2 * index + 1]!,
          },
        }),
      );
      const body = (await submitted.json()) as { number?: string; error?: string };
      assert.equal(submitted.status, 200, `${iin}: ${JSON.stringify(body)}`);
      return body.number!;
    };
    numbers.push(...(await Promise.all(iins.map(apply))));

    assert.deepEqual(
      statuses.filter((status) => status >= 500),
      [],
      "no 5xx",
    );
    assert.equal(new Set(numbers).size, PEOPLE, "every application number is different");
    assert.equal(await countOf("submitted"), PEOPLE);
    await eventually("an e-mail for every application", async () => inbox.messages.length >= PEOPLE, PATIENCE_MILLISECONDS);
    await new Promise((resolveLater) => setTimeout(resolveLater, 1_000));
    assert.deepEqual(
      numbers.filter((number) => mailsFor(number) !== 1),
      [],
      "exactly one e-mail per application",
    );
  });

  test(`SIGKILL during ${CONFIRMED} confirmations, the server killed too: after a restart each is issued exactly once`, async () => {
    const chosen = numbers.slice(0, CONFIRMED);
    const numbersFile = join(work, "confirm.txt");
    const numbersWithStatus = async (of: string[], status: ApplicationStatus) =>
      (
        await store.db
          .selectFrom("applications")
          .select("number")
          .where("number", "in", of)
          .where("status", "=", status)
          .execute()
      ).map((row) => row.number);
    writeFileSync(numbersFile, chosen.join("\n"));
    const confirmBurst = () =>
      spawn(process.execPath, ["--import", "tsx", CONFIRM_BURST, dir, numbersFile, "16"], {
        env: environment,
        stdio: ["ignore", "pipe", "pipe"],
      });
    const burst = confirmBurst();
    let burstErrors = "";
    burst.stderr!.on("data", (chunk: Buffer) => (burstErrors += chunk.toString()));
    await new Promise<void>((killed, reject) => {
      let issuedBeforeKill = 0;
      burst.stdout!.on("data", (chunk: Buffer) => {
        issuedBeforeKill += chunk.toString().split("issued ").length - 1;
        if (issuedBeforeKill >= CONFIRMED / 4 && burst.signalCode === null) {
          burst.kill("SIGKILL");
          server.kill("SIGKILL");
          killed();
        }
      });
      burst.once("exit", (code) => reject(new Error(`the burst ended (${code}) before it was killed: ${burstErrors}`)));
    });
    const halfWay = await countOf("confirmed");
    const issuedAtKill = await countOf("issued");
    assert.ok(halfWay > 0, "some issuances were cut half-way");
    assert.ok(issuedAtKill < CONFIRMED, `not all were issued before the kill (${issuedAtKill})`);

    // The restarted server finishes each issuance cut half-way, once its claim runs out.
    ({ server } = await startServe(["--dir", dir, "--listen", listen], environment));
    await eventually("the half-way issuances finished", async () => (await countOf("confirmed")) === 0, PATIENCE_MILLISECONDS);
    assert.equal(await countOf("issued"), issuedAtKill + halfWay);

    // The Registration Center confirms the rest again; what was done is refused, not repeated.
    const again = confirmBurst();
    let refusals = "";
    again.stderr!.on("data", (chunk: Buffer) => (refusals += chunk.toString()));
    const [code] = (await once(again, "exit")) as [number | null];
    assert.equal(code, 1, "the burst stops at the first application that is issued already");
    assert.match(refusals, /is issued/);
    writeFileSync(numbersFile, (await numbersWithStatus(chosen, "submitted")).join("\n"));
    const [rest] = (await once(confirmBurst(), "exit")) as [number | null];
    assert.equal(rest, 0);
    assert.equal(await countOf("issued"), CONFIRMED);
    assert.equal(await countOf("submitted"), PEOPLE - CONFIRMED);

    const issued = await store.db
      .selectFrom("applications")
      .select(["auth_serial", "sign_serial"])
      .where("status", "=", "issued")
      .execute();
    const serials = issued.flatMap((row) => [row.auth_serial!, row.sign_serial!]);
    assert.equal(new Set(serials).size, 2 * CONFIRMED, "no serial twice");
    const audit = spawnSync(process.execPath, [BIN, "ca", "audit", "verify", "--dir", dir], { encoding: "utf8" });
    assert.equal(audit.status, 0, audit.stdout + audit.stderr);
    const ca = await openCertificateAuthority(dir);
    const inCa = await ca.store.db
      .selectFrom("certificates")
      .select("serial")
      .where("profile", "in", ["individual-auth", "individual-sign"])
      .execute();
    await ca.close();
    assert.deepEqual(
      inCa.map((row) => row.serial).sort(),
      [...serials].sort(),
      "the CA issued exactly the recorded certificates, none twice",
    );

    await eventually("the issuance e-mails", async () => chosen.every((number) => mailsFor(number) === 2), PATIENCE_MILLISECONDS);
    await new Promise((resolveLater) => setTimeout(resolveLater, 1_000));
    assert.deepEqual(
      numbers.filter((number, index) => mailsFor(number) !== (index < CONFIRMED ? 2 : 1)),
      [],
      "a submission e-mail for each, and one issuance e-mail for each issued",
    );
  });
});
