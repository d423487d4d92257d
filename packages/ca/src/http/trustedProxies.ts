import { BlockList, isIP } from "node:net";
import { InputError } from "@qoltanba/pki";

const MAX_REMEMBERED_ADDRESSES = 10_000;

/**
 * The load balancers (addresses or CIDRs) whose X-Forwarded-For names the client, as Fastify's
 * trust function. Given the list itself, Fastify's proxy-addr parsed the addresses of every request
 * with ipaddr.js (3 % of a status lookup); Node's BlockList matches them natively, once per address.
 */
export function trustedProxyCheck(entries: readonly string[]): (address: string) => boolean {
  const proxies = new BlockList();
  for (const entry of entries) {
    const [address = "", prefix, ...rest] = entry.split("/");
    const family = isIP(address);
    const type = family === 6 ? "ipv6" : "ipv4";
    const prefixBits = prefix === undefined ? undefined : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (family === 0 || rest.length > 0 || (prefixBits !== undefined && !(prefixBits <= (family === 6 ? 128 : 32))))
      throw new InputError("bad_trusted_proxy", `not an address or CIDR: ${entry}`);
    if (prefixBits === undefined) proxies.addAddress(address, type);
    else proxies.addSubnet(address, prefixBits, type);
  }
  // BlockList.check builds a SocketAddress object on every call, which costs more than the match;
  // the addresses asked about are the peers of the connections (the proxies themselves): few.
  const answers = new Map<string, boolean>();
  return (address) => {
    let trusted = answers.get(address);
    if (trusted === undefined) {
      trusted = proxies.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
      if (answers.size >= MAX_REMEMBERED_ADDRESSES) answers.clear();
      answers.set(address, trusted);
    }
    return trusted;
  };
}
