import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { PortalStore } from "../storage/portalStore.ts";
import { DEMO_PERSONS, temporaryDirectory, testDatabases, validIin } from "../testSupport.ts";
import { EmbeddedPersonRegistry } from "./embeddedRegistry.ts";
import { HttpPersonRegistry } from "./httpRegistry.ts";
import { RegistryUnavailable } from "./personRegistry.ts";

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`embedded registry on ${database.engine}`, () => {
    let store: PortalStore;
    const dir = temporaryDirectory();
    before(async () => {
      store = await PortalStore.open(database.url ?? "sqlite:portal.sqlite", dir);
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    test("loads the demo CSV (Kazakh and Russian names) and a JSON file; later loads update", async () => {
      const registry = new EmbeddedPersonRegistry(store);
      assert.equal(await registry.load(DEMO_PERSONS), 10);
      assert.deepEqual(await registry.find("850702400128"), {
        iin: "850702400128",
        surname: "ӘБІЛҚАЙЫРОВА",
        givenName: "ӘЙГЕРІМ",
        patronymic: "ҚАНАТҚЫЗЫ",
      });
      assert.deepEqual(await registry.find("010130600078"), {
        iin: "010130600078",
        surname: "ЖҰМАБЕКОВА",
        givenName: "ДАНА",
      });
      const iin = validIin("1975-03-03", "female", 40);
      const json = join(dir, "persons.json");
      writeFileSync(
        json,
        JSON.stringify([
          { iin, surname: "ПЕТРОВА", givenName: "АННА", patronymic: "ИВАНОВНА" },
          { iin: "650509300448", surname: "ИВАНОВ", givenName: "СЕРГЕЙ" },
        ]),
      );
      assert.equal(await registry.load(json), 2);
      assert.equal((await registry.find(iin))?.surname, "ПЕТРОВА");
      assert.equal((await registry.find("650509300448"))?.patronymic, undefined);
      assert.equal(await registry.find(validIin("1999-09-09", "male", 3)), undefined);
    });

    test("a file with a bad IIN or a missing name is refused whole, naming the line", async () => {
      const registry = new EmbeddedPersonRegistry(store);
      const csv = join(dir, "bad.csv");
      writeFileSync(
        csv,
        `iin,surname,given_name,patronymic\n${validIin("1980-01-01", "male")},"ОҢДАСЫН, А",БЕК,\n123456789012,X,Y,Z\n`,
      );
      await assert.rejects(registry.load(csv), /bad\.csv line 3: IIN "123456789012" is not valid/);
      assert.equal(
        await registry.find(validIin("1980-01-01", "male")),
        undefined,
        "nothing of the file was loaded",
      );
      writeFileSync(csv, `iin,surname\n${validIin("1980-01-01", "male")},X\n`);
      await assert.rejects(registry.load(csv), /the header must name iin, surname, given_name, patronymic/);
    });
  });
}

describe("HTTP registry", () => {
  let server: Server;
  let url = "";
  const seen: Array<{ authorization?: string; body: string; path?: string }> = [];
  let mode: "ok" | "missing" | "error" | "slow" | "garbage" = "ok";
  before(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        seen.push({ authorization: request.headers.authorization, body, path: request.url });
        const iin = (JSON.parse(body) as { iin: string }).iin;
        if (mode === "ok")
          response
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ iin, surname: "НҰРЛАНОВ", givenName: "ЕРЛАН", patronymic: "СӘКЕНҰЛЫ" }));
        else if (mode === "missing") response.writeHead(404).end();
        else if (mode === "error") response.writeHead(503).end("down");
        else if (mode === "garbage")
          response.writeHead(200, { "content-type": "application/json" }).end("{not json");
        else setTimeout(() => response.writeHead(200).end("{}"), 1000);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/persons/lookup`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("finds a person with the configured credentials; the IIN travels in the body, not the URL", async () => {
    mode = "ok";
    const registry = new HttpPersonRegistry({
      url,
      authorization: "Bearer registry-token",
      timeoutMilliseconds: 500,
    });
    assert.deepEqual(await registry.find("781123301050"), {
      iin: "781123301050",
      surname: "НҰРЛАНОВ",
      givenName: "ЕРЛАН",
      patronymic: "СӘКЕНҰЛЫ",
    });
    assert.deepEqual(seen.at(-1), {
      authorization: "Bearer registry-token",
      body: '{"iin":"781123301050"}',
      path: "/persons/lookup",
    });
    mode = "missing";
    assert.equal(await registry.find("781123301050"), undefined);
  });

  test("an outage, a timeout or a malformed answer is RegistryUnavailable, never a crash", async () => {
    const registry = new HttpPersonRegistry({ url, timeoutMilliseconds: 200 });
    for (const outage of ["error", "slow", "garbage"] as const) {
      mode = outage;
      await assert.rejects(registry.find("781123301050"), RegistryUnavailable, outage);
    }
    await assert.rejects(
      new HttpPersonRegistry({ url: "http://127.0.0.1:1/nothing", timeoutMilliseconds: 200 }).find(
        "781123301050",
      ),
      RegistryUnavailable,
    );
  });
});
