import { X509Certificate } from "node:crypto";
import { connect } from "node:tls";
import { runCommand, type RunCommand } from "../trust/run.ts";
import type { Finding } from "./finding.ts";
import { findListener, type Listener } from "./portListener.ts";

/** What answers on 127.0.0.1:port: nothing, or something and the TLS certificate it shows (if it speaks TLS). */
export function probePort(port: number): Promise<{ listening: boolean; certificate?: X509Certificate }> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, timeout: 1000 });
    const finish = (result: { listening: boolean; certificate?: X509Certificate }) => {
      socket.destroy();
      resolve(result);
    };
    socket.once("secureConnect", () => {
      const certificate = socket.getPeerX509Certificate();
      finish(certificate ? { listening: true, certificate } : { listening: true });
    });
    socket.once("timeout", () => finish({ listening: true }));
    socket.once("error", (error: NodeJS.ErrnoException) =>
      finish({ listening: error.code !== "ECONNREFUSED" }),
    );
  });
}

function describe(listener: Listener | undefined): string {
  if (!listener?.pid)
    return "a program of another user (on a shared computer, another person's agent or NCALayer)";
  return `${listener.program || "a program"} (pid ${listener.pid}${listener.commandLine ? `: ${listener.commandLine.slice(0, 200)}` : ""})`;
}

/** Is the agent on its port, and if something else is, what and how to free it. */
export async function checkAgentPort(options: {
  port: number;
  caCertificate: string | undefined;
  platform: NodeJS.Platform;
  startCommand: string;
  run?: RunCommand;
}): Promise<Finding> {
  const { port } = options;
  const probe = await probePort(port);
  if (!probe.listening) {
    return {
      status: "problem",
      title: `Nothing listens on 127.0.0.1:${port}: the agent is not running, so websites report that NCALayer is not started`,
      fix: `start it: ${options.startCommand} (qoltanba agent install starts it at every login)`,
    };
  }
  const listener = await findListener(port, options.platform, options.run ?? runCommand);
  const ca = options.caCertificate === undefined ? undefined : new X509Certificate(options.caCertificate);
  if (ca && probe.certificate?.checkIssued(ca) && probe.certificate.verify(ca.publicKey)) {
    return {
      status: "ok",
      title: `The Qoltanba agent is running on 127.0.0.1:${port}${listener?.pid ? ` (pid ${listener.pid})` : ""}`,
    };
  }
  if (/ncalayer/i.test(`${listener?.program} ${listener?.commandLine}`)) {
    return {
      status: "problem",
      title: `NCALayer holds port ${port}: ${describe(listener)}`,
      fix: "quit NCALayer (tray icon → Exit) and take it out of start-up; the Qoltanba agent answers the same websites",
    };
  }
  return {
    status: "problem",
    title: `Port ${port} is used by ${describe(listener)}, not by this installation's agent`,
    fix: listener?.pid
      ? `stop that program (${options.platform === "win32" ? `taskkill /PID ${listener.pid}` : `kill ${listener.pid}`}), then start the agent: ${options.startCommand}`
      : `ask whoever runs it (or the administrator) to stop it, then start the agent: ${options.startCommand}`,
  };
}
