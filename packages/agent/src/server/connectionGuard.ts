// Checks made on every WebSocket upgrade, before any protocol message: who is connecting, to
// which host name, from which web origin.
import { isIPv4, isIPv6 } from "node:net";

/** The origin of a connection that has no Origin header: a local program, not a web page. */
export const LOCAL_ORIGIN = "local";

/** Only this machine may connect: 127.0.0.0/8 and ::1 (also as IPv4-mapped). */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (!address) return false;
  const ipv4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIPv4(ipv4)) return ipv4.startsWith("127.");
  return isIPv6(address) && address === "::1";
}

/**
 * The Host header must name this agent by loopback address or `localhost` with its port, so a
 * page on a DNS name that was rebound to 127.0.0.1 is refused.
 */
export function isAgentHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const normalized = host.toLowerCase();
  return normalized === `127.0.0.1:${port}` || normalized === `localhost:${port}`;
}

/**
 * The origin a connection speaks for: the page's serialized origin, or `local` without an Origin
 * header. Undefined means refused: `null` (sandboxed frames and files share it), anything that is
 * not an http(s) origin, or an origin not in its serialized form.
 */
export function connectionOrigin(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return LOCAL_ORIGIN;
  if (Array.isArray(header) || header === "" || header.length > 2048) return undefined;
  let url: URL;
  try {
    url = new URL(header);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  return url.origin === header ? header : undefined;
}
