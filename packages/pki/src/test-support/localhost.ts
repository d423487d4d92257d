// What tests of every package need of this machine's loopback and its Chromium.
import { createServer } from "node:net";

/** A loopback port free at the moment of asking (nobody listens on it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
    server.on("error", reject);
  });
}

/** Debian's Chromium, driven by playwright-core, headless and quiet (no updates, sync or QUIC). */
export const CHROMIUM: { readonly executablePath: string; readonly args: string[] } = {
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};
