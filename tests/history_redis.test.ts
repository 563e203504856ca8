/**
 * RedisHistory with a real redis-server: the HistoryStore contract
 * (tests/helpers/history_contract.ts), then what only a shared, remote
 * store has: two stores on one Redis see one history; a Redis restarted
 * with persistence keeps it, one restarted without starts a new epoch;
 * a Redis down or frozen makes appends reject (never hang) and the store
 * works again when it is back; concurrent appends keep call order; and a
 * store on the other runtime writes entries this runtime reads back.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRedisHistory } from "../src/broker/redis.ts";
import type { RedisHistory, RedisHistoryEvent, RedisHistoryOptions } from "../src/broker/redis.ts";
import type { HistoryPolicy, HistoryRead, StreamPosition } from "../src/broker/history.ts";
import { ConnectError } from "../src/shared/errors.ts";
import { historyContract } from "./helpers/history_contract.ts";
import { crossRuntimePayloads } from "./helpers/history_payloads.ts";
import { startRedis } from "./helpers/redis.ts";
import type { RedisServer } from "./helpers/redis.ts";
import { delay, OTHER_RUNTIME, spawnScript } from "./helpers/runtime.ts";

const KEEP: HistoryPolicy = { size: 1000, ttl: 0 };

function offsets(read: HistoryRead): number[] {
  assert.ok(read.ok, JSON.stringify(read));
  return read.publications.map((p) => p.offset);
}

function prefix(): string {
  return `test-${crypto.randomUUID().slice(0, 8)}:`;
}

/** Settles `promise` or fails the test after `ms` (a hang is the bug these tests look for). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} neither resolved nor rejected within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Retries `op` until it resolves (the store reconnecting), for at most `ms`. */
async function eventually<T>(op: () => Promise<T>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (Date.now() > end) throw new Error(`${what}: still failing after ${ms} ms`, { cause: err });
      await delay(50);
    }
  }
}

describe("RedisHistory", () => {
  let redis: RedisServer;
  const stores: RedisHistory[] = [];

  async function store(options: RedisHistoryOptions = {}): Promise<RedisHistory> {
    const created = await createRedisHistory({ url: redis.url, prefix: prefix(), onEvent: () => {}, ...options });
    stores.push(created);
    return created;
  }

  before(async () => {
    redis = await startRedis();
  });

  after(async () => {
    for (const s of stores) await s.close();
    await redis?.stop();
  });

  historyContract("RedisHistory", () => createRedisHistory({ url: redis.url, prefix: prefix(), onEvent: () => {} }));

  it("rejects with a ConnectError when Redis is not there, and the URL's password is not in it", async () => {
    const err = await createRedisHistory({ url: "redis://:secret@127.0.0.1:1", onEvent: () => {} }).then(
      () => assert.fail("created a store on a closed port"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConnectError, String(err));
    assert.doesNotMatch(err.message, /secret/);
  });

  it("two stores on one Redis and prefix see one history: offsets go on across them", async () => {
    const shared = prefix();
    const first = await store({ prefix: shared });
    const second = await store({ prefix: shared });
    assert.equal(first.shared, true);
    const positions: StreamPosition[] = [];
    for (let i = 0; i < 6; i++) positions.push(await (i % 2 === 0 ? first : second).append("room", `from ${i % 2 ? "b" : "a"} ${i}`, KEEP));
    assert.deepEqual(positions.map((p) => p.offset), [1, 2, 3, 4, 5, 6]);
    assert.equal(new Set(positions.map((p) => p.epoch)).size, 1);
    const fromSecond = await second.read("room", { after: positions[1]!, limit: 10 }, KEEP);
    const fromFirst = await first.read("room", { after: positions[1]!, limit: 10 }, KEEP);
    assert.deepEqual(fromSecond, fromFirst);
    assert.ok(fromFirst.ok);
    assert.deepEqual(fromFirst.publications.map((p) => p.data), ["from a 2", "from b 3", "from a 4", "from b 5"]);
    // Another prefix is another history.
    const elsewhere = await store();
    assert.equal((await elsewhere.append("room", "x", KEEP)).offset, 1);
  });

  it("1,000 concurrent appends come back with offsets 1..1000 in call order", async () => {
    const history = await store();
    const positions = await Promise.all(Array.from({ length: 1000 }, (_, i) => history.append("burst", `n${i}`, KEEP)));
    assert.deepEqual(positions.map((p) => p.offset), Array.from({ length: 1000 }, (_, i) => i + 1));
    const read = await history.read("burst", { after: { epoch: positions[0]!.epoch, offset: 990 }, limit: 100 }, KEEP);
    assert.ok(read.ok);
    assert.deepEqual(read.publications.map((p) => p.data), Array.from({ length: 10 }, (_, i) => `n${990 + i}`));
  });

  it("a Redis that forgot the scripts (SCRIPT FLUSH) gets them again: appends and reads go on", async () => {
    const history = await store();
    const first = await history.append("flushed", "a", KEEP);
    assert.equal(redis.cli("SCRIPT", "FLUSH"), "OK");
    assert.deepEqual(await history.append("flushed", "b", KEEP), { epoch: first.epoch, offset: 2 });
    assert.equal(redis.cli("SCRIPT", "FLUSH"), "OK");
    assert.deepEqual(offsets(await history.read("flushed", { after: first, limit: 10 }, KEEP)), [2]);
  });

  it("metaTtl: a topic without publications for that long starts again in a new epoch", async () => {
    const history = await store({ metaTtl: 300 });
    const first = await history.append("quiet", "a", KEEP);
    await delay(1600); // metaTtl plus the renewal slack (at least 1 s)
    const read = await history.read("quiet", { after: first, limit: 10 }, KEEP);
    assert.equal(read.ok, false);
    assert.equal(!read.ok && read.reason, "epoch changed");
    assert.equal(read.top, 0);
    const next = await history.append("quiet", "b", KEEP);
    assert.equal(next.offset, 1);
    assert.equal(next.epoch, read.epoch);
  });

  it("every key gets an expiry: the stream after its ttl (plus slack), the meta and a stream without ttl after metaTtl", async () => {
    const keys = prefix();
    const history = await store({ prefix: keys, metaTtl: 60_000 });
    const pttl = (topic: string, key: "meta" | "log") => Number(redis.cli("PTTL", `${keys}{${topic}}:${key}`));
    await history.append("aged", "a", { size: 10, ttl: 5000 });
    assert.ok(pttl("aged", "log") > 0 && pttl("aged", "log") <= 5000 + 1000, `log PTTL ${pttl("aged", "log")}`);
    assert.ok(pttl("aged", "meta") > 0 && pttl("aged", "meta") <= 66_000, `meta PTTL ${pttl("aged", "meta")}`);
    await history.append("kept", "a", KEEP);
    assert.ok(pttl("kept", "log") > 50_000 && pttl("kept", "log") <= 66_000, `log PTTL ${pttl("kept", "log")}`);
    // A stream dropped whole (everything expired) and made again by the next append gets its expiry again.
    await history.append("again", "a", { size: 10, ttl: 200 });
    await delay(400);
    await history.read("again", { last: 1, limit: 1 }, { size: 10, ttl: 200 });
    assert.equal(pttl("again", "log"), -2, "the expired stream is gone");
    await history.append("again", "b", { size: 10, ttl: 200 });
    assert.ok(pttl("again", "log") > 0, `log PTTL ${pttl("again", "log")}`);
    // Nothing this suite wrote lives forever.
    const forever = redis.cli("--scan", "--pattern", "test-*").split("\n").filter((key) => key !== "" && redis.cli("PTTL", key) === "-1");
    assert.deepEqual(forever, []);
  });

  it(`entries appended on ${OTHER_RUNTIME} read back identically here, text and bytes`, async () => {
    const shared = prefix();
    const writer = spawnScript(OTHER_RUNTIME, "tests/fixtures/history_redis_writer.ts", [redis.url, shared, "interop"]);
    const line = await writer.waitFor(/^\[.*\]$/m, 30_000);
    assert.equal(await writer.exited(10_000), 0, writer.stderr());
    const positions = JSON.parse(line[0]) as StreamPosition[];
    const sent = crossRuntimePayloads();
    assert.deepEqual(positions.map((p) => p.offset), sent.map((_, i) => i + 1));
    const history = await store({ prefix: shared });
    const read = await history.read("interop", { after: { epoch: positions[0]!.epoch, offset: 0 }, limit: 100 }, KEEP);
    assert.deepEqual(read, {
      ok: true,
      epoch: positions[0]!.epoch,
      top: sent.length,
      publications: sent.map((data, i) => ({ offset: i + 1, data })),
    });
  });
});

describe("RedisHistory when Redis goes away", () => {
  it("append rejects at once while Redis is down and works again after a restart; events say so", async () => {
    const redis = await startRedis();
    const events: RedisHistoryEvent["type"][] = [];
    const history = await createRedisHistory({
      url: redis.url,
      prefix: prefix(),
      commandTimeout: 2000,
      onEvent: (e) => events.push(e.type),
    });
    try {
      await history.append("t", "before", KEEP);
      await redis.kill();
      const err = await within(
        history.append("t", "while down", KEEP).then(() => "stored", (e: unknown) => e),
        10_000,
        "an append while down",
      );
      assert.ok(err instanceof Error, `the append while Redis is down: ${String(err)}`);
      assert.match(err.message, /could not append/);
      await within(history.read("t", { last: 1, limit: 1 }, KEEP).then(() => assert.fail("read"), () => {}), 10_000, "a read while down");
      await redis.restart();
      // No persistence: the restarted Redis is empty, so a new epoch from 1.
      const back = await eventually(() => history.append("t", "after", KEEP), "append after the restart");
      assert.equal(back.offset, 1);
      assert.deepEqual(events, ["disconnected", "reconnected"]);
    } finally {
      await history.close();
      await redis.stop();
    }
  });

  it("append rejects within commandTimeout while Redis is frozen (SIGSTOP), and works when it runs again", async () => {
    const redis = await startRedis();
    const history = await createRedisHistory({ url: redis.url, prefix: prefix(), commandTimeout: 1000, onEvent: () => {} });
    try {
      const before = await history.append("t", "before", KEEP);
      redis.pause();
      const err = await within(
        history.append("t", "frozen", KEEP).then(() => "stored", (e: unknown) => e),
        10_000,
        "an append to a frozen Redis",
      );
      assert.ok(err instanceof Error, String(err));
      assert.match(err.message, /did not answer .* within 1000 ms/);
      redis.resume();
      const next = await eventually(() => history.append("t", "after", KEEP), "append after SIGCONT");
      assert.equal(next.epoch, before.epoch);
      // The frozen append ran once Redis went on (a deadline cannot undo
      // what Redis does later): it took offset 2, and is in the history.
      const read = await history.read("t", { last: 100, limit: 100 }, KEEP);
      assert.ok(read.ok);
      assert.equal(read.top, next.offset);
      assert.deepEqual(read.publications.slice(0, 2), [{ offset: 1, data: "before" }, { offset: 2, data: "frozen" }]);
      assert.deepEqual(read.publications.at(-1), { offset: next.offset, data: "after" });
    } finally {
      redis.resume();
      await history.close();
      await redis.stop();
    }
  });

  it('without persistence, a restarted Redis is a new epoch: an old position reads "epoch changed", appends start at 1', async () => {
    const redis = await startRedis();
    const history = await createRedisHistory({ url: redis.url, prefix: prefix(), onEvent: () => {} });
    try {
      for (const data of ["a", "b", "c"]) await history.append("t", data, KEEP);
      const old = await history.read("t", { last: 1, limit: 1 }, KEEP);
      await redis.kill();
      await redis.restart();
      const read = await eventually(
        () => history.read("t", { after: { epoch: old.epoch, offset: 3 }, limit: 10 }, KEEP),
        "read after restart",
      );
      assert.equal(read.ok, false);
      assert.equal(!read.ok && read.reason, "epoch changed");
      assert.equal(read.top, 0);
      assert.notEqual(read.epoch, old.epoch);
      assert.deepEqual(await history.append("t", "d", KEEP), { epoch: read.epoch, offset: 1 });
    } finally {
      await history.close();
      await redis.stop();
    }
  });

  it("with persistence (AOF, fsync always), a Redis killed with SIGKILL and restarted keeps epoch, top and entries", async () => {
    const redis = await startRedis({ persistent: true });
    const history = await createRedisHistory({ url: redis.url, prefix: prefix(), onEvent: () => {} });
    try {
      const positions: StreamPosition[] = [];
      for (const data of ["a", new Uint8Array([0, 255]), "c"]) positions.push(await history.append("t", data, KEEP));
      const before = await history.read("t", { last: 10, limit: 10 }, KEEP);
      await redis.kill();
      await redis.restart();
      const after = await eventually(() => history.read("t", { last: 10, limit: 10 }, KEEP), "read after restart");
      assert.deepEqual(after, before);
      assert.equal(after.epoch, positions[0]!.epoch);
      assert.equal(after.top, 3);
      const resumed = await history.read("t", { after: positions[0]!, limit: 10 }, KEEP);
      assert.ok(resumed.ok);
      assert.deepEqual(resumed.publications.map((p) => p.offset), [2, 3]);
      assert.deepEqual(await history.append("t", "d", KEEP), { epoch: positions[0]!.epoch, offset: 4 });
    } finally {
      await history.close();
      await redis.stop();
    }
  });
});
