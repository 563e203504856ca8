/**
 * AddressLimits (src/server/address_limits.ts) with a fake clock: address
 * keys (IPv6 by /64), the per-address connection cap, the upgrade token
 * bucket with its Retry-After, and tables that do not grow with addresses
 * that went away.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AddressLimits, addressKey } from "../src/server/address_limits.ts";

describe("addressKey", () => {
  it("keeps IPv4, maps IPv4-mapped IPv6 to IPv4, groups IPv6 by /64", () => {
    assert.equal(addressKey("203.0.113.7"), "203.0.113.7");
    assert.equal(addressKey("::ffff:203.0.113.7"), "203.0.113.7");
    assert.equal(addressKey("::FFFF:203.0.113.7"), "203.0.113.7");
    assert.equal(addressKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
    assert.equal(addressKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
    assert.equal(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(addressKey("[2001:db8::1]"), "2001:db8:0:0::/64");
    assert.equal(addressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
    assert.equal(addressKey("::1"), "0:0:0:0::/64");
    assert.equal(addressKey(""), "");
  });
});

describe("AddressLimits", () => {
  it("caps connections per address; a released slot is usable again; other addresses are independent", () => {
    const limits = new AddressLimits(2, undefined, () => 0);
    assert.equal(limits.admit("a"), undefined);
    assert.equal(limits.admit("a"), undefined);
    assert.deepEqual(limits.admit("a"), { reason: "connections", retryAfter: 5 });
    assert.equal(limits.admit("b"), undefined);
    limits.release("a");
    assert.equal(limits.held("a"), 1);
    assert.equal(limits.admit("a"), undefined);
    limits.release("a");
    limits.release("a");
    limits.release("a"); // one release too many changes nothing
    assert.equal(limits.held("a"), 0);
  });

  it("an unknown address is never limited", () => {
    const limits = new AddressLimits(1, { perSecond: 1, burst: 1 }, () => 0);
    for (let i = 0; i < 5; i++) assert.equal(limits.admit(""), undefined);
  });

  it("rate: a burst, then one upgrade per 1/perSecond, with Retry-After in whole seconds", () => {
    let now = 0;
    const limits = new AddressLimits(Infinity, { perSecond: 0.5, burst: 3 }, () => now);
    for (let i = 0; i < 3; i++) assert.equal(limits.admit("a"), undefined);
    assert.deepEqual(limits.admit("a"), { reason: "rate", retryAfter: 2 });
    now += 1000;
    assert.deepEqual(limits.admit("a"), { reason: "rate", retryAfter: 1 });
    now += 1000;
    assert.equal(limits.admit("a"), undefined, "a token every 2 s");
    assert.equal(limits.admit("b"), undefined, "another address has its own bucket");
  });

  it("the bucket table forgets addresses whose bucket has refilled", () => {
    let now = 0;
    const limits = new AddressLimits(Infinity, { perSecond: 10, burst: 1 }, () => now);
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 1000; i++) {
        const key = `10.${round}.${i >> 8}.${i & 255}`;
        assert.equal(limits.admit(key), undefined);
        limits.release(key);
      }
      now += 1000; // every bucket refills within 0.1 s
    }
    assert.ok(limits.entries <= 2048, `20,000 addresses seen, ${limits.entries} entries kept`);
    for (let i = 0; i < 1000; i++) {
      assert.equal(limits.admit(`10.0.${i >> 8}.${i & 255}`), undefined, "a forgotten address starts with a full bucket");
    }
  });
});
