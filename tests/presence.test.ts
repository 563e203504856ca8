/**
 * Presence (src/channels/presence.ts): local members, members of several
 * servers' registries merged through a broker, `sync` for a newcomer,
 * expiry of a server that stops beating, `close()` announcing its leaves,
 * bad broker payloads reported and ignored; and with a real redis-server, a
 * Deno process and a Bun process sharing presence, one of them killed.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryBroker } from "../src/broker/memory.ts";
import type { Broker, BrokerListener, BrokerMessage } from "../src/broker/broker.ts";
import { MAX_REMOTE_MEMBERS_PER_SERVER, PresenceRegistry } from "../src/channels/presence.ts";
import type { PresenceChange, PresenceOptions } from "../src/channels/presence.ts";
import { presenceTopic } from "../src/channels/presence_wire.ts";
import { startRedis } from "./helpers/redis.ts";
import type { RedisServer } from "./helpers/redis.ts";
import { RUNTIME, spawnScript, until } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";

/** A broker in front of a MemoryBroker that can be cut off (nothing in, nothing out), as a dead network would. */
class CuttableBroker implements Broker {
  cut = false;
  readonly subscribed = new Set<string>();
  readonly #wrapped = new Map<BrokerListener, BrokerListener>();
  constructor(readonly inner: MemoryBroker) {}
  publish(message: BrokerMessage): void {
    if (!this.cut) this.inner.publish(message);
  }
  subscribe(topic: string, listener: BrokerListener): void {
    let wrapped = this.#wrapped.get(listener);
    if (wrapped === undefined) this.#wrapped.set(listener, wrapped = (m) => this.cut || listener(m));
    this.subscribed.add(topic);
    this.inner.subscribe(topic, wrapped);
  }
  unsubscribe(topic: string, listener: BrokerListener): void {
    this.subscribed.delete(topic);
    const wrapped = this.#wrapped.get(listener);
    if (wrapped !== undefined) this.inner.unsubscribe(topic, wrapped);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Probe {
  registry: PresenceRegistry;
  changes: PresenceChange[];
  errors: unknown[];
}

const registries: PresenceRegistry[] = [];
after(async () => {
  for (const r of registries) await r.close();
});

function probe(options: Partial<PresenceOptions> & { serverId: string }): Probe {
  const changes: PresenceChange[] = [];
  const errors: unknown[] = [];
  const registry = new PresenceRegistry({ report: (e) => errors.push(e), onChange: (c) => changes.push(c), ...options });
  registries.push(registry);
  return { registry, changes, errors };
}

const ids = (r: PresenceRegistry, topic: string) => r.members(topic).map((m) => m.id).sort();
const events = (p: Probe) => p.changes.map((c) => `${c.type} ${c.topic} ${c.member.id}`);
/** Lets the registries' chained broker calls (subscribe, then sync) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("presence on one server", () => {
  it("join, leave, members and onChange; a second join of an id is one member", () => {
    const a = probe({ serverId: "a" });
    a.registry.join("room", { id: "s1", info: { name: "Ada" } });
    a.registry.join("room", { id: "s1", info: { name: "someone else" } });
    a.registry.join("room", { id: "s2", info: null });
    a.registry.join("hall", { id: "s1", info: 1 });
    assert.deepEqual(a.registry.members("room"), [{ id: "s1", info: { name: "Ada" } }, { id: "s2", info: null }]);
    assert.deepEqual(ids(a.registry, "hall"), ["s1"]);
    a.registry.leave("room", "s1");
    a.registry.leave("room", "s1");
    a.registry.leave("room", "nobody");
    assert.deepEqual(ids(a.registry, "room"), ["s2"]);
    assert.deepEqual(a.registry.members("nowhere"), []);
    assert.deepEqual(events(a), ["join room s1", "join room s2", "join hall s1", "leave room s1"]);
    assert.deepEqual(a.changes[3].member, { id: "s1", info: { name: "Ada" } });
    assert.deepEqual(a.errors, []);
  });

  it("a throwing onChange is reported and the change still made", () => {
    const errors: unknown[] = [];
    const registry = new PresenceRegistry({
      serverId: "a",
      report: (e) => errors.push(e),
      onChange: () => {
        throw new Error("app bug");
      },
    });
    registries.push(registry);
    registry.join("room", { id: "s1", info: null });
    assert.deepEqual(ids(registry, "room"), ["s1"]);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /app bug/);
  });

  it("refuses a server id the other servers would refuse", () => {
    for (const serverId of ["", "x".repeat(257)]) {
      assert.throws(() => new PresenceRegistry({ serverId, report: () => {}, onChange: () => {} }), RangeError);
    }
  });

  it("refuses a heartbeat that is not a positive number", () => {
    for (const heartbeatMs of [0, -1, NaN, Infinity]) {
      assert.throws(() => new PresenceRegistry({ serverId: "a", heartbeatMs, report: () => {}, onChange: () => {} }), RangeError);
    }
  });

  it("a registry with members never keeps the process alive (its timer is unref'd)", async () => {
    const child = spawnScript(RUNTIME, "tests/fixtures/presence_unref.ts");
    await child.waitFor(/joined 1/, 30_000);
    assert.equal(await child.exited(20_000), 0, child.stderr());
  });
});

describe("presence between registries on one broker", () => {
  it("each sees the other's members, merged, with one event per change", async () => {
    const broker = new MemoryBroker();
    const a = probe({ serverId: "a", broker, heartbeatMs: 60_000 });
    const b = probe({ serverId: "b", broker, heartbeatMs: 60_000 });
    a.registry.join("room", { id: "a1", info: "A" });
    b.registry.join("room", { id: "b1", info: "B" });
    await settle();
    b.registry.join("room", { id: "b2", info: "B" });
    b.registry.join("room", { id: "b2", info: "B" });
    a.registry.join("other", { id: "a1", info: "A" });
    await settle();
    assert.deepEqual(ids(a.registry, "room"), ["a1", "b1", "b2"]);
    assert.deepEqual(ids(b.registry, "room"), ["a1", "b1", "b2"]);
    assert.deepEqual(b.registry.members("room").find((m) => m.id === "a1"), { id: "a1", info: "A" });
    assert.deepEqual(ids(b.registry, "other"), [], "b has nobody in other, so it does not listen there");
    b.registry.leave("room", "b1");
    assert.deepEqual(ids(a.registry, "room"), ["a1", "b2"]);
    assert.deepEqual(events(a).sort(), ["join other a1", "join room a1", "join room b1", "join room b2", "leave room b1"]);
    assert.deepEqual(events(b).sort(), ["join room a1", "join room b1", "join room b2", "leave room b1"]);
    assert.deepEqual([...a.errors, ...b.errors], []);
  });

  it("a newcomer learns the members already there at once (sync), not after a heartbeat", async () => {
    const broker = new MemoryBroker();
    const traffic: string[] = [];
    broker.subscribe(presenceTopic("room"), (m) => traffic.push(JSON.parse(m.data as string).t));
    const a = probe({ serverId: "a", broker, heartbeatMs: 60_000 });
    a.registry.join("room", { id: "a1", info: null });
    a.registry.join("room", { id: "a2", info: null });
    await settle();
    const b = probe({ serverId: "b", broker, heartbeatMs: 60_000 });
    b.registry.join("room", { id: "b1", info: null });
    await settle();
    assert.deepEqual(ids(b.registry, "room"), ["a1", "a2", "b1"]);
    assert.deepEqual(events(b), ["join room b1", "join room a1", "join room a2"]);
    assert.deepEqual(traffic, ["join", "join", "sync", "join", "sync", "beat"]);
  });

  it("removes the members of a server that stops beating, and takes them back when it beats again", async () => {
    const memory = new MemoryBroker();
    const cuttable = new CuttableBroker(memory);
    const heartbeatMs = 50;
    const a = probe({ serverId: "a", broker: cuttable, heartbeatMs });
    const b = probe({ serverId: "b", broker: memory, heartbeatMs });
    a.registry.join("room", { id: "a1", info: null });
    a.registry.join("room", { id: "a2", info: null });
    b.registry.join("room", { id: "b1", info: null });
    await settle();
    assert.deepEqual(ids(b.registry, "room"), ["a1", "a2", "b1"]);
    // Several heartbeats with beats flowing: nobody is removed.
    await new Promise((resolve) => setTimeout(resolve, 6 * heartbeatMs));
    assert.deepEqual(ids(b.registry, "room"), ["a1", "a2", "b1"]);
    cuttable.cut = true;
    await until(() => ids(b.registry, "room").length === 1, "b to remove a's members", 10_000);
    assert.deepEqual(ids(b.registry, "room"), ["b1"]);
    assert.deepEqual(events(b).filter((e) => e.startsWith("leave")).sort(), ["leave room a1", "leave room a2"]);
    cuttable.cut = false;
    await until(() => ids(b.registry, "room").length === 3, "b to take a's members back from its next beat", 10_000);
    assert.deepEqual([...a.errors, ...b.errors], []);
  });

  it("close() announces leaves for all its members, stops listening, and later calls do nothing", async () => {
    const memory = new MemoryBroker();
    const cuttable = new CuttableBroker(memory);
    const a = probe({ serverId: "a", broker: cuttable, heartbeatMs: 60_000 });
    const b = probe({ serverId: "b", broker: memory, heartbeatMs: 60_000 });
    a.registry.join("room", { id: "a1", info: null });
    a.registry.join("hall", { id: "a1", info: null });
    a.registry.join("hall", { id: "a2", info: null });
    b.registry.join("room", { id: "b1", info: null });
    b.registry.join("hall", { id: "b1", info: null });
    await settle();
    assert.deepEqual(ids(b.registry, "hall"), ["a1", "a2", "b1"]);
    b.changes.length = 0;
    await a.registry.close();
    assert.deepEqual(ids(b.registry, "room"), ["b1"]);
    assert.deepEqual(ids(b.registry, "hall"), ["b1"]);
    assert.deepEqual(events(b).sort(), ["leave hall a1", "leave hall a2", "leave room a1"]);
    assert.deepEqual([...cuttable.subscribed], []);
    a.registry.join("room", { id: "a3", info: null });
    assert.deepEqual(a.registry.members("room"), []);
    await a.registry.close();
  });

  it("close() does not wait for a broker that never answers longer than its patience", async () => {
    const hanging: Broker = {
      publish: () => new Promise<void>(() => {}),
      subscribe: () => {},
      unsubscribe: () => new Promise<void>(() => {}),
      close: () => Promise.resolve(),
    };
    const a = probe({ serverId: "a", broker: hanging, heartbeatMs: 50 });
    a.registry.join("room", { id: "a1", info: null });
    await settle();
    await a.registry.close();
    assert.equal(a.errors.length, 1);
    assert.match(String(a.errors[0]), /did not take this server's leaves in time/);
  });

  it("stops listening to a topic when its last local member leaves, and a quick rejoin listens again", async () => {
    const memory = new MemoryBroker();
    const cuttable = new CuttableBroker(memory);
    const a = probe({ serverId: "a", broker: cuttable, heartbeatMs: 60_000 });
    const b = probe({ serverId: "b", broker: memory, heartbeatMs: 60_000 });
    b.registry.join("room", { id: "b1", info: null });
    a.registry.join("room", { id: "a1", info: null });
    await settle();
    a.registry.leave("room", "a1");
    await settle();
    assert.deepEqual([...cuttable.subscribed], []);
    a.registry.leave("room", "a1");
    a.registry.join("room", { id: "a1", info: null });
    a.registry.leave("room", "a1");
    a.registry.join("room", { id: "a1", info: null });
    await settle();
    assert.deepEqual([...cuttable.subscribed], [presenceTopic("room")]);
    assert.deepEqual(ids(a.registry, "room"), ["a1", "b1"]);
  });

  it("reports and ignores payloads that are not valid announcements", async () => {
    const broker = new MemoryBroker();
    const a = probe({ serverId: "a", broker, heartbeatMs: 60_000 });
    a.registry.join("room", { id: "a1", info: null });
    await settle();
    const topic = presenceTopic("room");
    const huge = Array.from({ length: MAX_REMOTE_MEMBERS_PER_SERVER + 1 }, (_, i) => ({ id: `m${i}`, info: null }));
    const bad: (string | Uint8Array)[] = [
      "not json",
      new Uint8Array([1, 2, 3]),
      "null",
      "[]",
      '"join"',
      JSON.stringify({ t: "join", server: "x" }),
      JSON.stringify({ t: "join", server: "x", member: { id: 5 } }),
      JSON.stringify({ t: "join", server: "x", member: { id: "" } }),
      JSON.stringify({ t: "join", server: "x", member: { id: "y".repeat(257) } }),
      JSON.stringify({ t: "join", member: { id: "m" } }),
      JSON.stringify({ t: "join", server: 7, member: { id: "m" } }),
      JSON.stringify({ t: "beat", server: "x", members: "m" }),
      JSON.stringify({ t: "beat", server: "x", members: [{ id: "m" }, null] }),
      JSON.stringify({ t: "beat", server: "x", members: huge }),
      JSON.stringify({ t: "explode", server: "x" }),
    ];
    for (const data of bad) broker.publish({ topic, data, origin: "x" });
    assert.equal(a.errors.length, bad.length);
    for (const err of a.errors) assert.match(String(err), /ignored a presence announcement on topic "room"/);
    assert.deepEqual(ids(a.registry, "room"), ["a1"]);
    assert.deepEqual(events(a), ["join room a1"]);
    // A valid one after all that still works.
    broker.publish({ topic, data: JSON.stringify({ t: "beat", server: "x", members: [{ id: "x1", info: [1] }] }), origin: "x" });
    assert.deepEqual(a.registry.members("room"), [{ id: "a1", info: null }, { id: "x1", info: [1] }]);
  });

  it("caps the members kept of one other server in a topic", async () => {
    const broker = new MemoryBroker();
    const a = probe({ serverId: "a", broker, heartbeatMs: 60_000 });
    a.registry.join("room", { id: "a1", info: null });
    await settle();
    const topic = presenceTopic("room");
    const full = Array.from({ length: MAX_REMOTE_MEMBERS_PER_SERVER }, (_, i) => ({ id: `m${i}`, info: null }));
    broker.publish({ topic, data: JSON.stringify({ t: "beat", server: "x", members: full }), origin: "x" });
    assert.equal(a.registry.members("room").length, MAX_REMOTE_MEMBERS_PER_SERVER + 1);
    broker.publish({ topic, data: JSON.stringify({ t: "join", server: "x", member: { id: "one-more", info: null } }), origin: "x" });
    assert.equal(a.registry.members("room").length, MAX_REMOTE_MEMBERS_PER_SERVER + 1);
    assert.equal(a.errors.length, 1);
    assert.match(String(a.errors[0]), /ignored a join/);
  });
});

describe("presence across a Deno process and a Bun process on a real redis-server", () => {
  const prefix = `presence-${crypto.randomUUID().slice(0, 8)}:`;
  const heartbeatMs = 300;
  let redis: RedisServer;
  const servers: Record<"deno" | "bun", Spawned | undefined> = { deno: undefined, bun: undefined };

  before(async () => {
    redis = await startRedis();
  });

  after(async () => {
    for (const s of Object.values(servers)) {
      s?.child.stdin?.end();
      await s?.exited(10_000).catch(() => s.kill());
    }
    await redis?.stop();
  });

  /** Waits for a process's last `members` line to be `ids`; the error shows its output then. */
  async function untilMembers(s: Spawned, ids: string[], what: string, ms: number): Promise<void> {
    try {
      await until(() => JSON.stringify(lastMembers(s)) === JSON.stringify(ids), what, ms);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nstdout: ${s.stdout()}\nstderr: ${s.stderr()}`);
    }
  }

  /** The member ids of a process's last `members` line. */
  function lastMembers(s: Spawned): string[] | undefined {
    const lines = s.stdout().split("\n").filter((l) => l.startsWith('{"members"'));
    const last = lines.at(-1);
    return last === undefined ? undefined : (JSON.parse(last) as { members: string[] }).members;
  }

  it(`a SIGKILLed ${RUNTIME} process has its members removed by the other within the bound`, async () => {
    const members = { deno: "d1,d2", bun: "b1,b2" };
    for (const runtime of ["deno", "bun"] as const) {
      const args = [redis.url, prefix, `srv-${runtime}`, String(heartbeatMs), "room", members[runtime]];
      servers[runtime] = spawnScript(runtime, "tests/fixtures/presence_server.ts", args);
    }
    const all = ["b1", "b2", "d1", "d2"];
    for (const runtime of ["deno", "bun"] as const) {
      const s = servers[runtime]!;
      await untilMembers(s, all, `${runtime} to see all members`, 30_000);
    }
    const victim = servers[RUNTIME]!;
    const survivor = servers[RUNTIME === "deno" ? "bun" : "deno"]!;
    victim.kill("SIGKILL");
    assert.equal(await victim.exited(10_000), 128);
    servers[RUNTIME] = undefined;
    const own = members[RUNTIME === "deno" ? "bun" : "deno"].split(",").sort();
    // 3 × heartbeat + one heartbeat is the bound; twice that for a busy machine's scheduling and Redis.
    await untilMembers(survivor, own, "the survivor to drop the killed process's members", 8 * heartbeatMs + 2000);
    assert.doesNotMatch(survivor.stdout(), /"error"/);
  });
});
