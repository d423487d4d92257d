import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { connect, startTestAgent } from "../testing/testAgent.ts";

const PORTAL = "https://portal.example.kz";

test("greeting, heartbeat, unknown modules and malformed messages get the protocol's replies", async (t) => {
  const agent = await startTestAgent({ origins: ["local", PORTAL] });
  t.after(() => agent.dispose());
  const client = await connect(agent, { origin: PORTAL });
  assert.deepEqual(client.greeting, { result: { version: "1.4" } });
  assert.equal(await client.sendRaw("--heartbeat--"), "--heartbeat--");
  assert.deepEqual(await client.request({ module: "kz.digiflow.mobile.extensions", method: "getVersion" }), {
    success: false,
    errorCode: "MODULE_NOT_FOUND",
  });
  assert.deepEqual(await client.request({ method: "browseKeyStore", args: ["PKCS12", "P12", ""] }), {
    success: false,
    errorCode: "MODULE_NOT_FOUND",
  });
  assert.deepEqual(JSON.parse(await client.sendRaw("{not json")), {
    code: "500",
    message: "malformed JSON request",
  });
  assert.deepEqual(JSON.parse(await client.sendRaw("[1,2]")), {
    code: "500",
    message: "a request must be a JSON object",
  });
  assert.deepEqual(JSON.parse(await client.sendRaw(Buffer.from([1, 2, 3]))), {
    code: "500",
    message: "binary messages are not part of the protocol",
  });
  assert.deepEqual(
    await client.request({ module: "kz.gov.pki.knca.commonUtils", method: "getActiveTokens", uuid: "u-1" }),
    { code: "200", responseObject: [], uuid: "u-1" },
  );
  assert.deepEqual(await client.request({ module: "kz.gov.pki.knca.commonUtils", method: "nope" }), {
    code: "500",
    message: "method not found: nope",
  });
  assert.deepEqual(
    await client.request({ module: "kz.gov.pki.knca.commonUtils", method: "getKeyInfo", args: [1] }),
    {
      code: "500",
      message: "argument type mismatch. Method: getKeyInfo: storage must be a string",
    },
  );
  assert.deepEqual(
    await client.request({ module: "kz.gov.pki.knca.commonUtils", method: "getKeyInfo", args: [""] }),
    { code: "500", message: "storageName.param.empty" },
  );
  assert.deepEqual(
    await client.request({
      module: "kz.gov.pki.knca.commonUtils",
      method: "getKeyInfo",
      args: ["FloppyStore"],
    }),
    { code: "500", message: "storage.unknown" },
  );
  // Megabytes of data that is not base64: the protocol's error, before any key or dialog.
  assert.deepEqual(
    await client.request({
      module: "kz.gov.pki.knca.commonUtils",
      method: "createCAdESFromBase64",
      args: ["PKCS12", "SIGNATURE", "!".repeat(6 * 1024 * 1024), true],
    }),
    { code: "500", message: "argument type mismatch. Method: createCAdESFromBase64: data is not base64" },
  );
  const hugeList = await client.request({
    module: "kz.gov.pki.knca.basics",
    method: "sign",
    args: {
      format: "cms",
      data: Array(101).fill("MTEK"),
      signingParams: {},
      signerParams: { extKeyUsageOids: [] },
    },
  });
  assert.deepEqual(hugeList, {
    status: false,
    code: "INVALID_SIGNING_PARAMS",
    message: "Invalid arguments.",
    details: "data must hold 1 to 100 documents",
  });
  assert.deepEqual(
    await client.request({ module: "kz.gov.pki.knca.commonUtils", method: "changeLocale", args: ["en"] }),
    { code: "200" },
  );
  assert.deepEqual(
    await client.request({ module: "kz.gov.pki.ncalayerservices.accessory", method: "getServices" }),
    {
      services: [
        "kz.gov.pki.knca.commonUtils",
        "kz.gov.pki.knca.basics",
        "kz.gov.pki.ncalayerservices.accessory",
      ],
    },
  );
  const bundles = (await client.request({
    module: "kz.gov.pki.ncalayerservices.accessory",
    method: "getBundles",
  })) as Record<string, string>;
  assert.equal(typeof bundles["kz.gov.pki.knca.basics"], "string");
  assert.deepEqual(
    await client.request({ module: "kz.gov.pki.ncalayerservices.accessory", method: "installBundle" }),
    { success: false, errorCode: "MODULE_NOT_FOUND" },
  );
  assert.deepEqual(
    await client.request({
      module: "kz.gov.pki.knca.basics",
      method: "sign",
      args: { format: "cms", data: "MTEK", signingParams: 555, signerParams: { extKeyUsageOids: [] } },
    }),
    {
      status: false,
      code: "INVOCATION_ERROR",
      message: "An invoked method threw an exception.",
      details: 'JSONObject["signingParams"] is not a JSONObject.',
    },
  );
  client.close();
});

function refusal(url: string, options: WebSocket.ClientOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, options);
    socket.on("unexpected-response", (_request, response) => resolve(`HTTP ${response.statusCode}`));
    socket.on("close", (code) => resolve(`closed ${code}`));
    socket.on("error", () => undefined);
  });
}

test("wrong Host headers, null or malformed origins and unapproved origins are refused", async (t) => {
  const agent = await startTestAgent({ origins: [PORTAL] });
  t.after(() => agent.dispose());
  const ca = agent.tls.caCertificate;
  const url = agent.server.url;
  assert.equal(
    await refusal(url, { ca, headers: { host: `evil.example:${agent.server.port}` }, origin: PORTAL }),
    "HTTP 403",
  );
  assert.equal(await refusal(url, { ca, headers: { host: "127.0.0.1:1" }, origin: PORTAL }), "HTTP 403");
  assert.equal(await refusal(url, { ca, origin: "null" }), "HTTP 403");
  assert.equal(await refusal(url, { ca, origin: "https://portal.example.kz/path" }), "HTTP 403");
  assert.equal(await refusal(url, { ca, origin: "file://" }), "HTTP 403");
  assert.equal(await refusal(url, { ca, origin: "https://evil.example" }), "closed 1008");
  // No Origin header: a local program, origin "local", which this unattended file does not allow.
  assert.equal(await refusal(url, { ca }), "closed 1008");
  const viaLocalhost = await connect(agent, { origin: PORTAL, host: `localhost:${agent.server.port}` });
  assert.deepEqual(viaLocalhost.greeting, { result: { version: "1.4" } });
  viaLocalhost.close();
});

test("a connection over the limit is refused and the others keep working", async (t) => {
  const agent = await startTestAgent({ origins: ["local"] }, { maxConnections: 2 });
  t.after(() => agent.dispose());
  const first = await connect(agent);
  const second = await connect(agent);
  assert.equal(await refusal(agent.server.url, { ca: agent.tls.caCertificate }), "HTTP 503");
  assert.equal(await first.sendRaw("--heartbeat--"), "--heartbeat--");
  second.close();
  await new Promise((resolve) => second.socket.once("close", resolve));
  const third = await connect(agent);
  assert.equal(await third.sendRaw("--heartbeat--"), "--heartbeat--");
  first.close();
  third.close();
});

test("messages over the size limit close only their own connection", async (t) => {
  const agent = await startTestAgent({ origins: ["local"] }, { maxMessageBytes: 1024 * 1024 });
  t.after(() => agent.dispose());
  const other = await connect(agent);
  const flooding = await connect(agent);
  const closed = new Promise<number>((resolve) => flooding.socket.once("close", (code) => resolve(code)));
  flooding.socket.send("x".repeat(2 * 1024 * 1024));
  assert.equal(await closed, 1009);
  assert.deepEqual(
    await other.request({ module: "kz.gov.pki.knca.commonUtils", method: "getActiveTokens" }),
    { code: "200", responseObject: [] },
  );
  other.close();
});

test("a flood of requests is answered in order, each one", async (t) => {
  const agent = await startTestAgent({ origins: ["local"] });
  t.after(() => agent.dispose());
  const client = await connect(agent);
  const replies: unknown[] = [];
  const done = new Promise<void>((resolve) =>
    client.socket.on("message", (data) => {
      replies.push(JSON.parse(data.toString()));
      if (replies.length === 500) resolve();
    }),
  );
  for (let index = 0; index < 500; index++) {
    client.socket.send(
      JSON.stringify({
        module: "kz.gov.pki.knca.commonUtils",
        method: "getActiveTokens",
        uuid: String(index),
      }),
    );
  }
  await done;
  assert.deepEqual(
    replies.map((reply) => (reply as { uuid: string }).uuid),
    Array.from({ length: 500 }, (_, index) => String(index)),
  );
  client.close();
});
