// ncalayer-js-client — a real NCALayer client that no one here wrote — drives the agent from Node.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fromPemOrDer, verifySignedData } from "@qoltanba/pki";
import {
  loadNcaLayerClient,
  type NcaLayerClientClass,
  type NcaLayerClientInstance,
} from "./testing/ncaLayerJsClient.ts";
import { startTestAgent, type TestAgent } from "./testing/testAgent.ts";
import { AUTH_EXTENSIONS, SIGN_EXTENSIONS, TestPki } from "./testing/testPki.ts";
import { startTestTsa, type TestTsa } from "./testing/testTsa.ts";

const PASSWORD = "Client123";
const PORTAL = "https://portal.example.kz";

let pki: TestPki;
let agent: TestAgent;
let tsa: TestTsa;
let NCALayerClient: NcaLayerClientClass;
/** Set per connection: which origin the next WebSocket presents. */
let origin: string | undefined;

before(async () => {
  pki = new TestPki();
  const auth = pki.issue("auth", "/CN=КЛИЕНТ/serialNumber=IIN880101300014/C=KZ", AUTH_EXTENSIONS, PASSWORD);
  const sign = pki.issue("sign", "/CN=КЛИЕНТ/serialNumber=IIN880101300014/C=KZ", SIGN_EXTENSIONS, PASSWORD);
  tsa = await startTestTsa(pki);
  agent = await startTestAgent(
    {
      origins: [PORTAL, "local"],
      pkcs12: [auth, sign].map((key) => ({ path: key.p12Path, password: PASSWORD })),
    },
    { tsaUrl: tsa.url },
  );
  NCALayerClient = loadNcaLayerClient(agent.tls.caCertificate, () => origin);
});

after(async () => {
  await agent.dispose();
  await tsa.close();
  pki.dispose();
});

async function connectedClient(as: string | undefined): Promise<NcaLayerClientInstance> {
  origin = as;
  const client = new NCALayerClient(agent.server.url, false);
  assert.equal(await client.connect(), "1.4");
  return client;
}

test("ncalayer-js-client connects from a page origin, lists tokens and signs CMS (attached, detached, several with time-stamps)", async () => {
  const client = await connectedClient(PORTAL);
  assert.deepEqual(await client.getActiveTokens(), []);
  await client.changeLocale("en");
  const data = Buffer.from("signed through ncalayer-js-client");

  const attached = Buffer.from(
    await client.createCAdESFromBase64("PKCS12", data.toString("base64"), "SIGNATURE", true),
    "base64",
  );
  assert.deepEqual(pki.verifyCms(attached), data);
  assert.equal(verifySignedData(attached).signers[0]!.valid, true);

  const pem = (await client.basicsSignCMS(
    NCALayerClient.basicsStoragePKCS12,
    data.toString("base64"),
    NCALayerClient.basicsCMSParamsDetachedNoTSP,
    NCALayerClient.basicsSignerAuthAny,
  )) as string;
  assert.match(pem, /^-----BEGIN CMS-----/);
  const detached = fromPemOrDer(pem, ["CMS"], "CMS");
  pki.verifyCms(detached, { content: data });

  const several = (await client.basicsSignCMS(
    NCALayerClient.basicsStorageAll,
    ["MTEK", "MjIK"],
    NCALayerClient.basicsCMSParamsAttached,
    NCALayerClient.basicsSignerSignAny,
  )) as string[];
  assert.equal(several.length, 2);
  several.forEach((signature) => {
    const cms = fromPemOrDer(signature, ["CMS"], "CMS");
    const signer = verifySignedData(cms).signers[0]!;
    assert.equal(signer.valid, true);
    assert.equal(signer.timestampTokens.length, 1);
    pki.verifyCms(cms);
  });
  client.wsConnection.close();
});

test("ncalayer-js-client sees cancellations, errors and a refused origin as NCALayer's", async () => {
  const client = await connectedClient(undefined);
  // Two keys and no way to ask the person in unattended mode: cancelled, in each module's shape.
  await assert.rejects(client.getKeyInfo("PKCS12"), {
    name: "NCALayerError",
    message: "500: action.canceled",
  });
  await assert.rejects(
    client.basicsSignCMS(
      NCALayerClient.basicsStorageAll,
      "MTEK",
      NCALayerClient.basicsCMSParamsDetachedNoTSP,
      { extKeyUsageOids: [] },
    ),
    { name: "NCALayerError", canceledByUser: true },
  );
  await assert.rejects(
    client.createCAdESFromBase64Hash("PKCS12", "MTEK", "SIGNATURE"),
    /500: argument type mismatch\. Method: createCAdESFromBase64Hash/,
  );
  await assert.rejects(client.getKeyInfo("NoSuchStore"), { message: "500: storage.unknown" });
  client.wsConnection.close();

  origin = "https://phishing.example";
  const refused = new NCALayerClient(agent.server.url, false);
  await assert.rejects(refused.connect(), { name: "NCALayerError", message: "NCALayer закрыл соединение." });
});
