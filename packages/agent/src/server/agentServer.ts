// The agent's listener: TLS on 127.0.0.1, WebSocket upgrades admitted only from loopback peers,
// for the agent's own host name, from a well-formed origin, within the connection limit.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { Session, AgentContext } from "../session.ts";
import { connectionOrigin, isAgentHost, isLoopbackPeer } from "./connectionGuard.ts";
import { serveConnection } from "./connection.ts";
import type { OriginGate } from "./originGate.ts";

export const DEFAULT_PORT = 13579;
/** Largest message: 50 MiB (a 37 MB document in base64). Larger messages close the connection (1009). */
export const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
export const MAX_CONNECTIONS = 32;

export interface AgentServerOptions {
  port: number;
  tls: { key: string; certificate: string };
  context: AgentContext;
  gate: OriginGate;
  maxConnections?: number;
  maxMessageBytes?: number;
  /** Plain HTTPS requests (not upgrades), e.g. the agent's own dialog page; return false for 404. */
  onHttpRequest?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

export interface AgentServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? MAX_MESSAGE_BYTES,
  });
  const server = createServer(
    { key: options.tls.key, cert: options.tls.certificate },
    (request, response) => {
      if (options.onHttpRequest?.(request, response)) return;
      response
        .writeHead(404, { "content-type": "text/plain" })
        .end("Qoltanba agent: connect with a WebSocket\n");
    },
  );
  let port = 0;

  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (!isLoopbackPeer(request.socket.remoteAddress)) return refuse("403 Forbidden");
    if (!isAgentHost(request.headers.host, port)) return refuse("403 Forbidden");
    const origin = connectionOrigin(request.headers.origin);
    if (origin === undefined) return refuse("403 Forbidden");
    if (sockets.clients.size >= maxConnections) return refuse("503 Service Unavailable");
    sockets.handleUpgrade(request, socket, head, (webSocket) => {
      const session: Session = { agent: options.context, origin, chosenFiles: new Set() };
      serveConnection(webSocket, session, options.gate.admit(origin));
    });
  });
  server.on("tlsClientError", () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as { port: number }).port;

  return {
    port,
    url: `wss://127.0.0.1:${port}/`,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
