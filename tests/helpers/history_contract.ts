/**
 * The HistoryStore contract (src/broker/history.ts) as one suite, run
 * against every store: MemoryHistory (tests/history_store.test.ts) and
 * RedisHistory (tests/history_redis.test.ts). A store passes when it gives
 * the answers MemoryHistory gives for the same calls: offsets from 1 in
 * one epoch, `last` and `after` reads paged by `limit`, the four failure
 * verdicts in their order, payloads kept exactly.
 *
 * Every check uses topics of its own, so one store serves the whole suite.
 * The age checks use a 300 ms ttl and wait past it: they assert what must
 * hold once entries are old, never what must still hold while they are
 * young (a busy machine may pause longer than the ttl).
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { HistoryPolicy, HistoryRead, HistoryStore, StoredPublication, StreamPosition } from "../../src/broker/history.ts";
import { delay } from "./runtime.ts";

/** Publications kept long enough for any test (no age limit). */
const KEEP: HistoryPolicy = { size: 1000, ttl: 0 };
const TTL = 300;

let topics = 0;
/** A topic no other check uses. */
function freshTopic(what: string): string {
  return `contract:${what}:${++topics}:${crypto.randomUUID().slice(0, 8)}`;
}

function offsets(read: HistoryRead): number[] {
  assert.ok(read.ok, `expected ok, got ${JSON.stringify(read)}`);
  return read.publications.map((p) => p.offset);
}

/** Runs the contract suite against stores made by `open` (one store for the suite, closed after it). */
export function historyContract(name: string, open: () => Promise<HistoryStore>): void {
  describe(`HistoryStore contract: ${name}`, () => {
    let store: HistoryStore;

    before(async () => {
      store = await open();
    });

    after(async () => {
      await store?.close();
    });

    async function append(topic: string, data: string | Uint8Array, policy = KEEP): Promise<StreamPosition> {
      return await store.append(topic, data, policy);
    }

    async function fill(topic: string, n: number, policy = KEEP): Promise<StreamPosition[]> {
      const out: StreamPosition[] = [];
      for (let i = 1; i <= n; i++) out.push(await append(topic, `m${i}`, policy));
      return out;
    }

    async function afterPos(topic: string, epoch: string, offset: number, limit = 100, policy = KEEP): Promise<HistoryRead> {
      return await store.read(topic, { after: { epoch, offset }, limit }, policy);
    }

    it("gives offsets from 1 in call order, in one epoch, and reads them back", async () => {
      const topic = freshTopic("order");
      const positions = await fill(topic, 5);
      assert.deepEqual(positions.map((p) => p.offset), [1, 2, 3, 4, 5]);
      const epoch = positions[0]!.epoch;
      assert.match(epoch, /^[0-9a-z]{8}$/);
      for (const p of positions) assert.equal(p.epoch, epoch);
      const read = await store.read(topic, { last: 10, limit: 10 }, KEEP);
      assert.deepEqual(read, {
        ok: true,
        epoch,
        top: 5,
        publications: [1, 2, 3, 4, 5].map((offset): StoredPublication => ({ offset, data: `m${offset}` })),
      });
    });

    it("an empty topic: top 0, nothing to read, and the epoch a read gave is the one appends continue", async () => {
      const topic = freshTopic("empty");
      const last = await store.read(topic, { last: 5, limit: 5 }, KEEP);
      assert.ok(last.ok);
      assert.equal(last.top, 0);
      assert.deepEqual(last.publications, []);
      assert.deepEqual(await afterPos(topic, last.epoch, 0), { ok: true, epoch: last.epoch, top: 0, publications: [] });
      assert.deepEqual(await append(topic, "first"), { epoch: last.epoch, offset: 1 });
      assert.deepEqual(await afterPos(topic, last.epoch, 0), {
        ok: true,
        epoch: last.epoch,
        top: 1,
        publications: [{ offset: 1, data: "first" }],
      });
    });

    it("`last`: the newest ones in offset order, at most `last` and `limit`", async () => {
      const topic = freshTopic("last");
      await fill(topic, 10);
      const last = (n: number, limit: number) => store.read(topic, { last: n, limit }, KEEP);
      assert.deepEqual(offsets(await last(3, 10)), [8, 9, 10]);
      assert.deepEqual(offsets(await last(10, 4)), [7, 8, 9, 10]);
      assert.deepEqual(offsets(await last(50, 50)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.deepEqual(offsets(await last(0, 10)), []);
      assert.deepEqual(offsets(await last(5, 0)), []);
      const read = await last(2, 2);
      assert.ok(read.ok);
      assert.equal(read.top, 10);
      assert.deepEqual(read.publications.map((p) => p.data), ["m9", "m10"]);
    });

    it("`after`: pages through the gap by `limit`; fewer than `limit` means the read reached top", async () => {
      const topic = freshTopic("after");
      const [{ epoch }] = await fill(topic, 10);
      assert.deepEqual(offsets(await afterPos(topic, epoch, 0, 4)), [1, 2, 3, 4]);
      assert.deepEqual(offsets(await afterPos(topic, epoch, 4, 4)), [5, 6, 7, 8]);
      assert.deepEqual(offsets(await afterPos(topic, epoch, 8, 4)), [9, 10]);
      assert.deepEqual(await afterPos(topic, epoch, 10, 4), { ok: true, epoch, top: 10, publications: [] });
      assert.deepEqual(await afterPos(topic, epoch, 3, 0), { ok: true, epoch, top: 10, publications: [] });
      const page = await afterPos(topic, epoch, 6, 2);
      assert.ok(page.ok);
      assert.deepEqual(page.publications, [{ offset: 7, data: "m7" }, { offset: 8, data: "m8" }]);
    });

    it('`size` trims the oldest: a position before them reads "trimmed", one at their edge reads the rest', async () => {
      const topic = freshTopic("trimmed");
      const small: HistoryPolicy = { size: 3, ttl: 0 };
      const [{ epoch }] = await fill(topic, 5, small);
      assert.deepEqual(await afterPos(topic, epoch, 0, 100, small), { ok: false, epoch, top: 5, reason: "trimmed" });
      assert.deepEqual(await afterPos(topic, epoch, 1, 100, small), { ok: false, epoch, top: 5, reason: "trimmed" });
      // A limit of 0 does not hide the verdict.
      assert.deepEqual(await afterPos(topic, epoch, 1, 0, small), { ok: false, epoch, top: 5, reason: "trimmed" });
      assert.deepEqual(offsets(await afterPos(topic, epoch, 2, 100, small)), [3, 4, 5]);
      assert.deepEqual(offsets(await store.read(topic, { last: 10, limit: 10 }, small)), [3, 4, 5]);
      // A smaller size at read time trims there too.
      const smaller: HistoryPolicy = { size: 1, ttl: 0 };
      assert.deepEqual(await afterPos(topic, epoch, 3, 100, smaller), { ok: false, epoch, top: 5, reason: "trimmed" });
      assert.deepEqual(offsets(await afterPos(topic, epoch, 4, 100, smaller)), [5]);
    });

    it("dropped is dropped: a later call with a larger size brings none back (3000 entries, 2999 dropped in one read)", async () => {
      const topic = freshTopic("shrink");
      const big: HistoryPolicy = { size: 5000, ttl: 0 };
      const positions = await Promise.all(Array.from({ length: 3000 }, (_, i) => store.append(topic, `m${i + 1}`, big)));
      const epoch = positions[0]!.epoch;
      assert.equal(positions.at(-1)!.offset, 3000);
      assert.deepEqual(offsets(await store.read(topic, { last: 10, limit: 10 }, { size: 1, ttl: 0 })), [3000]);
      assert.deepEqual(offsets(await store.read(topic, { last: 10, limit: 10 }, big)), [3000]);
      assert.deepEqual(await afterPos(topic, epoch, 1500, 10, big), { ok: false, epoch, top: 3000, reason: "trimmed" });
      assert.deepEqual(await afterPos(topic, epoch, 2998, 10, big), { ok: false, epoch, top: 3000, reason: "trimmed" });
      assert.deepEqual(offsets(await afterPos(topic, epoch, 2999, 10, big)), [3000]);
      assert.deepEqual((await append(topic, "next", big)).offset, 3001);
      assert.deepEqual(offsets(await store.read(topic, { last: 10, limit: 10 }, big)), [3000, 3001]);
    });

    it('`ttl` drops old entries: a position before them reads "expired", never an old entry', async () => {
      const topic = freshTopic("expired");
      const short: HistoryPolicy = { size: 100, ttl: TTL };
      const [{ epoch }] = await fill(topic, 3, short);
      await delay(TTL + 150);
      assert.deepEqual(await afterPos(topic, epoch, 0, 100, short), { ok: false, epoch, top: 3, reason: "expired" });
      assert.deepEqual(await afterPos(topic, epoch, 2, 100, short), { ok: false, epoch, top: 3, reason: "expired" });
      assert.deepEqual(await afterPos(topic, epoch, 3, 100, short), { ok: true, epoch, top: 3, publications: [] });
      assert.deepEqual(await store.read(topic, { last: 10, limit: 10 }, short), { ok: true, epoch, top: 3, publications: [] });
      // Dropped is dropped: a later read without an age limit does not bring them back.
      assert.deepEqual(await afterPos(topic, epoch, 0, 100, KEEP), { ok: false, epoch, top: 3, reason: "expired" });
      // Offsets go on in the same epoch after everything expired.
      assert.deepEqual(await append(topic, "later", short), { epoch, offset: 4 });
    });

    it('an age-expired gap after a count-trimmed one: "trimmed" before the trimmed edge, "expired" after it', async () => {
      const topic = freshTopic("both");
      const policy: HistoryPolicy = { size: 2, ttl: TTL };
      const [{ epoch }] = await fill(topic, 4, policy); // 1 and 2 trimmed by size
      await delay(TTL + 150); // 3 and 4 expire
      assert.deepEqual(await afterPos(topic, epoch, 1, 100, policy), { ok: false, epoch, top: 4, reason: "trimmed" });
      assert.deepEqual(await afterPos(topic, epoch, 2, 100, policy), { ok: false, epoch, top: 4, reason: "expired" });
      assert.deepEqual(await afterPos(topic, epoch, 4, 100, policy), { ok: true, epoch, top: 4, publications: [] });
    });

    it('a position of another epoch reads "epoch changed" (checked before the offset)', async () => {
      const topic = freshTopic("epoch");
      const { epoch } = await append(topic, "x");
      const other = epoch === "zzzzzzzz" ? "yyyyyyyy" : "zzzzzzzz";
      assert.deepEqual(await afterPos(topic, other, 0), { ok: false, epoch, top: 1, reason: "epoch changed" });
      assert.deepEqual(await afterPos(topic, other, 99), { ok: false, epoch, top: 1, reason: "epoch changed" });
      // A topic this store never had: a new epoch of its own.
      const unknown = await afterPos(freshTopic("never"), epoch, 1);
      assert.equal(unknown.ok, false);
      assert.equal(!unknown.ok && unknown.reason, "epoch changed");
      assert.equal(unknown.top, 0);
      assert.notEqual(unknown.epoch, epoch);
    });

    it('a position ahead of the history, negative or not an integer reads "unknown position"', async () => {
      const topic = freshTopic("unknown");
      const [{ epoch }] = await fill(topic, 2);
      for (const offset of [3, 1000, -1, 1.5, Number.NaN]) {
        assert.deepEqual(
          await afterPos(topic, epoch, offset),
          { ok: false, epoch, top: 2, reason: "unknown position" },
          `offset ${offset}`,
        );
      }
    });

    it("text stays text and bytes stay bytes, exactly (empty ones, every byte value, a view into a larger buffer)", async () => {
      const topic = freshTopic("payloads");
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const view = new Uint8Array([9, 9, 1, 2, 3, 9]).subarray(2, 5);
      const payloads: (string | Uint8Array)[] = [
        "",
        "t",
        "b",
        "héllo\nwörld \u{1f600} \u0000 end",
        '{"json":[1,2,3]}',
        new Uint8Array(0),
        all,
        view,
        new Uint8Array([116, 104, 105]), // bytes that spell "thi": still bytes
      ];
      for (const data of payloads) await append(topic, data);
      const read = await store.read(topic, { last: 100, limit: 100 }, KEEP);
      assert.ok(read.ok);
      assert.equal(read.publications.length, payloads.length);
      read.publications.forEach((p, i) => {
        const sent = payloads[i]!;
        if (typeof sent === "string") assert.equal(p.data, sent, `payload ${i}`);
        else {
          assert.ok(p.data instanceof Uint8Array, `payload ${i} comes back as bytes`);
          assert.deepEqual(Array.from(p.data), Array.from(sent), `payload ${i}`);
        }
      });
    });

    it("keeps a copy: changing the caller's buffer after append changes nothing", async () => {
      const topic = freshTopic("copy");
      const buffer = new Uint8Array([1, 2, 3, 4]);
      const appended = store.append(topic, buffer, KEEP);
      buffer.fill(0xee); // before the append has even resolved
      await appended;
      const read = await store.read(topic, { last: 1, limit: 1 }, KEEP);
      assert.ok(read.ok);
      assert.deepEqual(Array.from(read.publications[0]!.data as Uint8Array), [1, 2, 3, 4]);
    });

    it("topics are independent: offsets, tops and entries", async () => {
      const a = freshTopic("a");
      const b = freshTopic("b");
      await fill(a, 3);
      assert.equal((await append(b, "only b")).offset, 1);
      assert.equal((await append(a, "m4")).offset, 4);
      const readA = await store.read(a, { last: 10, limit: 10 }, KEEP);
      const readB = await store.read(b, { last: 10, limit: 10 }, KEEP);
      assert.ok(readA.ok && readB.ok);
      assert.equal(readA.top, 4);
      assert.deepEqual(readA.publications.map((p) => p.data), ["m1", "m2", "m3", "m4"]);
      assert.deepEqual(readB, { ok: true, epoch: readB.epoch, top: 1, publications: [{ offset: 1, data: "only b" }] });
      // Trimming one topic leaves the other alone.
      await fill(b, 5, { size: 1, ttl: 0 });
      assert.deepEqual(offsets(await store.read(a, { last: 10, limit: 10 }, KEEP)), [1, 2, 3, 4]);
    });
  });
}
