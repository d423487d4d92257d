import { test } from "node:test";
import assert from "node:assert/strict";
import { trustedProxyCheck } from "./trustedProxies.ts";

test("trusted proxies: addresses and CIDRs of both families, IPv4 also when written as IPv4-mapped IPv6", () => {
  const trusted = trustedProxyCheck(["127.0.0.1", "10.20.0.0/16", "2001:db8::/32", "::1"]);
  for (const address of ["127.0.0.1", "::ffff:127.0.0.1", "10.20.255.1", "2001:db8:1::5", "::1", "127.0.0.1"]) assert.ok(trusted(address), address);
  for (const address of ["127.0.0.2", "10.21.0.1", "2001:db9::1", "192.168.1.1", "::2", "not an address", "10.21.0.1"]) assert.ok(!trusted(address), address);
});

test("a list entry that is neither an address nor a CIDR is refused, naming it", () => {
  for (const entry of ["lb.example", "10.0.0.0/33", "::1/129", "10.0.0.0/8/8", "10.0.0/8", "10.0.0.0/x", ""])
    assert.throws(() => trustedProxyCheck([entry]), (error: Error) => error.message === `not an address or CIDR: ${entry}`);
});
