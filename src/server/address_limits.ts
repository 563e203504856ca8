/**
 * Per-address limits on the handshake: how many connections one remote
 * address may hold at once, and how many upgrades per second it may ask
 * for. Neither engine has either (Deno.serve and Bun.serve accept whatever
 * arrives), so one client could open connections until memory or file
 * descriptors run out. Pure and runtime-neutral (the clock is injected);
 * internal.
 *
 * Addresses are grouped the way an attacker gets them: an IPv4 address is
 * one key; an IPv6 address is keyed by its /64 prefix (one host usually owns
 * a whole /64 and can pick any address in it); an IPv4-mapped IPv6 address
 * (`::ffff:1.2.3.4`) is the IPv4 address.
 *
 * Memory: a connection count exists only while the address holds a
 * connection; a token bucket only until it is full again (full buckets are
 * swept when the table has doubled since the last sweep), so the tables are
 * bounded by the open connections plus the addresses seen in the last
 * `burst / perSecond` seconds.
 *
 * @module
 */

import type { UpgradeRateLimitOptions } from "./options.ts";

/** Why an upgrade was refused, and when the client may retry (seconds). */
export interface AddressRefusal {
  reason: "rate" | "connections";
  retryAfter: number;
}

/** Seconds a client refused for holding too many connections is told to wait. */
const CONNECTIONS_RETRY_AFTER = 5;

/** The key an address is limited under: IPv4 as is, IPv6 by its /64, "" when unknown. */
export function addressKey(address: string): string {
  if (!address.includes(":")) return address;
  const lower = address.toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped !== null) return mapped[1];
  const halves = lower.split("::");
  const head = halves[0] === "" ? [] : halves[0].split(":");
  const tail = halves.length > 1 && halves[1] !== "" ? halves[1].split(":") : [];
  const groups = halves.length > 1 ? [...head, ...Array(Math.max(0, 8 - head.length - tail.length)).fill("0"), ...tail] : head;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":") + "::/64";
}

interface Bucket {
  tokens: number;
  last: number;
}

/** Connection counts and upgrade buckets per address key. */
export class AddressLimits {
  readonly #maxPerAddress: number;
  readonly #perMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #counts = new Map<string, number>();
  readonly #buckets = new Map<string, Bucket>();
  #sweepAt = 1024;

  /**
   * `maxPerAddress`: Infinity for no cap. `rate`: undefined for no rate
   * limit. `now`: a monotonic clock in milliseconds.
   */
  constructor(maxPerAddress: number, rate: Readonly<Required<UpgradeRateLimitOptions>> | undefined, now: () => number) {
    this.#maxPerAddress = maxPerAddress;
    this.#perMs = rate === undefined ? 0 : rate.perSecond / 1000;
    this.#burst = rate === undefined ? 0 : rate.burst;
    this.#now = now;
  }

  /**
   * Decides one upgrade attempt from `key`: a refusal, or undefined after
   * counting a connection for it (give it back with `release`). An unknown
   * address ("") is not limited.
   */
  admit(key: string): AddressRefusal | undefined {
    if (key === "") return undefined;
    if (this.#perMs > 0) {
      const wait = this.#take(key);
      if (wait > 0) return { reason: "rate", retryAfter: Math.max(1, Math.ceil(wait / 1000)) };
    }
    const held = this.#counts.get(key) ?? 0;
    if (held >= this.#maxPerAddress) return { reason: "connections", retryAfter: CONNECTIONS_RETRY_AFTER };
    this.#counts.set(key, held + 1);
    return undefined;
  }

  /** A connection counted by `admit` is gone (refused later, failed, or released by the engine). */
  release(key: string): void {
    if (key === "") return;
    const held = this.#counts.get(key);
    if (held === undefined) return;
    if (held <= 1) this.#counts.delete(key);
    else this.#counts.set(key, held - 1);
  }

  /** Connections `key` holds now. */
  held(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /** Entries in both tables now: they must not grow with addresses that went away. */
  get entries(): number {
    return this.#counts.size + this.#buckets.size;
  }

  /** Takes a token for `key`; returns 0, or the milliseconds until one is available. */
  #take(key: string): number {
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#sweepAt) this.#sweep(now);
      bucket = { tokens: this.#burst, last: now };
      this.#buckets.set(key, bucket);
    }
    const tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.last) * this.#perMs);
    bucket.last = now;
    if (tokens < 1) {
      bucket.tokens = tokens;
      return (1 - tokens) / this.#perMs;
    }
    bucket.tokens = tokens - 1;
    return 0;
  }

  /** Forgets buckets that have refilled (they hold no information). */
  #sweep(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (now - b.last) * this.#perMs >= this.#burst) this.#buckets.delete(key);
    }
    this.#sweepAt = Math.max(1024, this.#buckets.size * 2);
  }
}
