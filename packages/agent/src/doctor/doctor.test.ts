import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer as createHttpsServer } from "node:https";
import type { Server } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ensureAgentTls } from "../tls/agentTls.ts";
import { trustedCertificate } from "../trust/certificates.ts";
import { discoverTrustStores } from "../trust/stores.ts";
import { firefoxProfile, temporaryFolder } from "../trust/testSupport.ts";
import { installTrust } from "../trust/trust.ts";
import { checkAgentPort } from "./agentPort.ts";
import { runDoctor } from "./doctor.ts";
import { checkProxy } from "./proxy.ts";
import { lsofCommand, netstatCommand, parseLsof, parseNetstat, tasklistCommand } from "./portListener.ts";
import { freePort } from "../../../pki/src/test-support/localhost.ts";

const COMMANDS = { startCommand: "qoltanba agent", trustCommand: "qoltanba agent trust" };

function listen(server: Server): Promise<number> {
  return new Promise((done) =>
    server.listen(0, "127.0.0.1", () => done((server.address() as AddressInfo).port)),
  );
}

/** Another program holding a port: a separate process, with `label` in its command line. */
async function occupyPort(label: string): Promise<{ child: ChildProcess; port: number }> {
  const script =
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port))";
  const child = spawn(process.execPath, ["-e", script, label], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((done) =>
    child.stdout!.once("data", (chunk: Buffer) => done(Number(chunk.toString().trim()))),
  );
  return { child, port };
}

test("port: not running, held by another program (named with its pid), held by NCALayer, or this agent", async (t) => {
  const home = temporaryFolder("qoltanba-doctor-");
  const tls = await ensureAgentTls(home);
  const options = { caCertificate: tls.caCertificate, platform: process.platform, ...COMMANDS };

  const idle = await checkAgentPort({ port: await freePort(), ...options });
  assert.equal(idle.status, "problem");
  assert.match(idle.title, /Nothing listens on 127\.0\.0\.1:\d+: the agent is not running/);
  assert.match(idle.fix!, /qoltanba agent install/);

  const other = await occupyPort("some-other-server");
  t.after(() => other.child.kill());
  const busy = await checkAgentPort({ port: other.port, ...options });
  assert.equal(busy.status, "problem");
  assert.match(
    busy.title,
    new RegExp(`Port ${other.port} is used by node \\(pid ${other.child.pid}: .*some-other-server\\)`),
  );
  assert.equal(busy.fix, `stop that program (kill ${other.child.pid}), then start the agent: qoltanba agent`);

  const ncaLayer = await occupyPort("/opt/NCALayer/ncalayer.jar");
  t.after(() => ncaLayer.child.kill());
  const legacy = await checkAgentPort({ port: ncaLayer.port, ...options });
  assert.match(
    legacy.title,
    new RegExp(`NCALayer holds port ${ncaLayer.port}: node \\(pid ${ncaLayer.child.pid}`),
  );
  assert.match(legacy.fix!, /quit NCALayer/);

  const agent = createHttpsServer({ key: tls.key, cert: tls.certificate });
  const agentPort = await listen(agent);
  t.after(() => agent.close());
  assert.deepEqual(await checkAgentPort({ port: agentPort, ...options }), {
    status: "ok",
    title: `The Qoltanba agent is running on 127.0.0.1:${agentPort} (pid ${process.pid})`,
  });
  const foreign = await ensureAgentTls(temporaryFolder("qoltanba-doctor-other-"));
  const impostor = createHttpsServer({ key: foreign.key, cert: foreign.certificate });
  const impostorPort = await listen(impostor);
  t.after(() => impostor.close());
  assert.match(
    (await checkAgentPort({ port: impostorPort, ...options })).title,
    /not by this installation's agent/,
  );
});

test("trust: a missing NSS database, an empty one, a Firefox profile without the CA; all fine after the trust install", async () => {
  const homeDirectory = temporaryFolder("qoltanba-doctor-home-");
  const agentHome = join(homeDirectory, "agent");
  const environment = { platform: "linux" as const, homeDirectory, env: {} };
  const noCa = await runDoctor({ home: agentHome, port: await freePort(), environment, ...COMMANDS });
  assert.deepEqual(noCa[1], {
    status: "problem",
    title: "The agent has not made its TLS certificate yet",
    fix: "qoltanba agent trust (makes it and installs its CA)",
  });

  const tls = await ensureAgentTls(agentHome);
  firefoxProfile(homeDirectory, "x1.default");
  const before = await runDoctor({ home: agentHome, port: await freePort(), environment, ...COMMANDS });
  const trustFindings = before.slice(1, 3);
  assert.deepEqual(
    trustFindings.map((finding) => finding.status),
    ["problem", "problem"],
  );
  assert.match(
    trustFindings[0]!.title,
    /^Chrome\/Chromium NSS database \(~\/\.pki\/nssdb\) does not exist yet \(Qoltanba Agent Local CA/,
  );
  assert.match(trustFindings[1]!.title, /^Firefox profile x1\.default .* does not trust the agent's CA/);
  assert.equal(trustFindings[1]!.fix, "qoltanba agent trust");

  const stores = await discoverTrustStores(environment);
  await installTrust({
    home: agentHome,
    stores: stores.slice(0, 1),
    certificates: [trustedCertificate(tls.caCertificate, "ca")],
  });
  const half = await runDoctor({ home: agentHome, port: await freePort(), environment, ...COMMANDS });
  assert.deepEqual(
    half.slice(1, 3).map((finding) => finding.status),
    ["ok", "problem"],
  );
  await installTrust({
    home: agentHome,
    stores,
    certificates: [trustedCertificate(tls.caCertificate, "ca")],
  });
  const after = await runDoctor({ home: agentHome, port: await freePort(), environment, ...COMMANDS });
  assert.deepEqual(
    after.map((finding) => finding.status),
    ["problem", "ok", "ok", "ok", "hint"],
  );
  assert.match(after[4]!.title, /Local Network Access/);
});

test("proxy: set without no_proxy covering 127.0.0.1 and localhost is a problem with the exact fix", () => {
  assert.equal(checkProxy({}).status, "ok");
  const bare = checkProxy({ https_proxy: "http://proxy.corp:3128" });
  assert.equal(bare.status, "problem");
  assert.match(bare.title, /https_proxy set, but no_proxy does not cover 127\.0\.0\.1 and localhost/);
  assert.equal(
    bare.fix,
    "set no_proxy=127.0.0.1,localhost and NO_PROXY=127.0.0.1,localhost where the proxy is set, and add 127.0.0.1 and localhost to the browser's proxy exceptions",
  );
  const partial = checkProxy({ HTTP_PROXY: "http://proxy:8080", NO_PROXY: "localhost,.corp" });
  assert.match(partial.title, /does not cover 127\.0\.0\.1:/);
  assert.match(partial.fix!, /no_proxy=127\.0\.0\.1,localhost,\.corp/);
  assert.equal(checkProxy({ http_proxy: "http://p:1", no_proxy: "127.0.0.0/8, localhost" }).status, "ok");
  assert.equal(
    checkProxy({ https_proxy: "http://p:1", no_proxy: "localhost:13579,127.0.0.1:13579" }).status,
    "ok",
  );
  assert.equal(checkProxy({ all_proxy: "socks5://p:1", NO_PROXY: "*" }).status, "ok");
  assert.equal(
    checkProxy({ https_proxy: "http://p:1", no_proxy: "128.0.0.0/8,localhost" }).status,
    "problem",
  );
});

test("macOS and Windows: who holds the port, from lsof (real output here) and netstat/tasklist", async (t) => {
  const holder = await occupyPort("lsof-probe");
  t.after(() => holder.child.kill());
  const lsof = spawnSync(lsofCommand(holder.port).command, lsofCommand(holder.port).args, {
    encoding: "utf8",
  });
  assert.equal(lsof.status, 0, lsof.stderr);
  assert.deepEqual(parseLsof(lsof.stdout), { pid: holder.child.pid, program: "node" });
  assert.equal(parseLsof(""), undefined);

  assert.deepEqual([netstatCommand.command, ...netstatCommand.args], ["netstat", "-ano", "-p", "TCP"]);
  assert.deepEqual(
    [tasklistCommand(4242).command, ...tasklistCommand(4242).args],
    ["tasklist", "/FI", "PID eq 4242", "/FO", "CSV", "/NH"],
  );
  const netstat =
    "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1000\r\n  TCP    127.0.0.1:13579        0.0.0.0:0              LISTENING       4242\r\n  TCP    127.0.0.1:13579        127.0.0.1:50000        ESTABLISHED     4242\r\n";
  assert.equal(parseNetstat(netstat, 13579), 4242);
  assert.equal(parseNetstat(netstat, 135), 1000);
  assert.equal(parseNetstat(netstat, 80), undefined);
});
