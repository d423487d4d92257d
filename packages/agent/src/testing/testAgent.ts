// Test-only: an agent in a temporary home with throwaway TLS, and a bare WebSocket client that
// speaks the protocol (greeting first, one request at a time).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { type AgentOptions, startAgent } from "../agent.ts";
import { MODULES } from "../protocol/messages.ts";
import type { AgentServer } from "../server/agentServer.ts";
import { parseUnattendedSettings, type UnattendedSettings } from "../settings/unattended.ts";
import { makeTestTls, type TestTls } from "./testTls.ts";

export interface TestAgent {
  server: AgentServer;
  home: string;
  tls: TestTls;
  dispose(): Promise<void>;
}

export async function startTestAgent(
  unattended: Record<string, unknown> | undefined,
  options: Partial<Omit<AgentOptions, "home" | "port" | "tls" | "unattended">> = {},
): Promise<TestAgent> {
  const home = mkdtempSync(join(tmpdir(), "qoltanba-agent-home-"));
  const tls = makeTestTls();
  const settings: UnattendedSettings | undefined = unattended
    ? parseUnattendedSettings(unattended, home)
    : undefined;
  const server = await startAgent({
    home,
    port: 0,
    tls,
    ...(settings ? { unattended: settings } : {}),
    ...options,
  });
  return {
    server,
    home,
    tls,
    dispose: async () => {
      await server.close();
      tls.dispose();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A reply of the agent, as the tests walk it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are walked by the assertions
export type AgentReply = Record<string, any>;

export interface ProtocolClient {
  greeting: unknown;
  request(message: unknown): Promise<unknown>;
  /** A request to the basics module (generateCsr, importCertificate, sign …). */
  basics(method: string, args: unknown): Promise<AgentReply>;
  /** Sends raw text (or bytes) and waits for the next message. */
  sendRaw(data: string | Buffer): Promise<string>;
  socket: WebSocket;
  close(): void;
}

/** Connects like a page would (`origin` set) or like a local program (no Origin header). */
export async function connect(
  agent: TestAgent,
  options: { origin?: string; host?: string } = {},
): Promise<ProtocolClient> {
  const headers: Record<string, string> = options.host ? { host: options.host } : {};
  const socket = new WebSocket(agent.server.url, {
    ca: agent.tls.caCertificate,
    headers,
    ...(options.origin ? { origin: options.origin } : {}),
  });
  const incoming: string[] = [];
  const waiters: Array<{ resolve: (text: string) => void; reject: (error: Error) => void }> = [];
  let closed: Error | undefined;
  socket.on("message", (data) => {
    const text = data.toString();
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(text);
    else incoming.push(text);
  });
  socket.on("close", (code, reason) => {
    closed = new Error(`closed ${code} ${reason.toString()}`);
    for (const waiter of waiters.splice(0)) waiter.reject(closed);
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      if (incoming.length > 0) return resolve(incoming.shift()!);
      if (closed) return reject(closed);
      waiters.push({ resolve, reject });
    });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
  });
  const greeting = JSON.parse(await next());
  const request = async (message: unknown) =>
    JSON.parse(await (socket.send(JSON.stringify(message)), next()));
  return {
    greeting,
    socket,
    request,
    basics: async (method, args) => (await request({ module: MODULES.basics, method, args })) as AgentReply,
    sendRaw: async (data) => (socket.send(data), next()),
    close: () => socket.close(),
  };
}
