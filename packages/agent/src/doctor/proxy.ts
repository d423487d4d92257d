import type { Finding } from "./finding.ts";

const PROXY_VARIABLES = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];

function ipv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255))
    return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

/** Whether one no_proxy entry ("127.0.0.1", "127.0.0.0/8", "localhost", "*", with or without a port) covers `host`. */
function covers(entry: string, host: string): boolean {
  const name = entry
    .replace(/:\d+$/, "")
    .replace(/^\[(.*)\]$/, "$1")
    .toLowerCase();
  if (name === "*" || name === host) return true;
  const [network, bits] = name.split("/");
  const address = ipv4(host);
  const base = network === undefined ? undefined : ipv4(network);
  if (
    address === undefined ||
    base === undefined ||
    bits === undefined ||
    !/^\d+$/.test(bits) ||
    Number(bits) > 32
  )
    return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(address / size) === Math.floor(base / size);
}

/** A proxy in the environment without no_proxy covering 127.0.0.1 sends the page's wss://127.0.0.1 to the proxy. */
export function checkProxy(env: NodeJS.ProcessEnv): Finding {
  const set = PROXY_VARIABLES.filter((name) => env[name]);
  if (set.length === 0) return { status: "ok", title: "No proxy is set in the environment" };
  const noProxy = env.no_proxy ?? env.NO_PROXY ?? "";
  const entries = noProxy.split(/[\s,]+/).filter(Boolean);
  const missing = ["127.0.0.1", "localhost"].filter((host) => !entries.some((entry) => covers(entry, host)));
  if (missing.length === 0)
    return { status: "ok", title: `${set.join(", ")} set, and no_proxy covers 127.0.0.1 and localhost` };
  const wanted = [...missing, ...entries].join(",");
  return {
    status: "problem",
    title: `${set.join(", ")} set, but no_proxy does not cover ${missing.join(" and ")}: the connection to the agent may go to the proxy`,
    fix: `set no_proxy=${wanted} and NO_PROXY=${wanted} where the proxy is set, and add 127.0.0.1 and localhost to the browser's proxy exceptions`,
  };
}
