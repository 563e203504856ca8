/**
 * TopicFeed (src/channels/topic_feed.ts) on a fake FeedHost, no sockets:
 * with a shared store it delivers in position order (an early publication
 * waits, a hole is read from the store after FILL_DELAY_MS, a late copy is
 * dropped, a hole the store cannot fill is given up), starts from the
 * store's top (what arrives meanwhile is held, then ordered), restarts on a
 * new epoch, feeds its taps (bounded by MAX_TAPPED) and stops its timers on
 * close(). With a store of this process it passes everything straight on.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FILL_DELAY_MS, MAX_PENDING, MAX_TAPPED, TopicFeed } from "../../src/channels/topic_feed.ts";
import type { FeedHost, Positioned } from "../../src/channels/topic_feed.ts";
import type { StoredPublication } from "../../src/broker/history.ts";
import type { StreamPosition } from "../../src/shared/position.ts";
import { sleep, waitUntil } from "./fakes.ts";

/** A promise and the functions that settle it. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(err: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A FeedHost over a fake store: `stored` is the store's content of the
 * topic (offset → data) in epoch `epoch`; `delivered` records what the
 * feed handed the hub. `fill` answers from `stored` (only when every
 * offset asked for is there, like a store read without a hole) unless
 * `fillAnswer` overrides it; `top` answers `topAnswer` (a promise the test
 * may hold).
 */
class FakeFeedHost implements FeedHost {
  epoch = "e1";
  readonly stored = new Map<number, string>();
  readonly delivered: Positioned[] = [];
  readonly fills: { after: StreamPosition; limit: number }[] = [];
  fillAnswer: ((after: StreamPosition, limit: number) => Promise<StoredPublication[] | undefined>) | undefined;
  topAnswer: Promise<StreamPosition | undefined> = Promise.resolve(undefined);
  tops = 0;

  deliver(_topic: string, publication: Positioned): void {
    this.delivered.push(publication);
  }

  fill(_topic: string, after: StreamPosition, limit: number): Promise<StoredPublication[] | undefined> {
    this.fills.push({ after, limit });
    if (this.fillAnswer !== undefined) return this.fillAnswer(after, limit);
    if (after.epoch !== this.epoch) return Promise.resolve(undefined);
    const out: StoredPublication[] = [];
    for (let o = after.offset + 1; o <= after.offset + limit; o++) {
      const data = this.stored.get(o);
      if (data === undefined) return Promise.resolve(o === after.offset + 1 ? undefined : out);
      out.push({ offset: o, data });
    }
    return Promise.resolve(out);
  }

  top(_topic: string): Promise<StreamPosition | undefined> {
    this.tops++;
    return this.topAnswer;
  }

  /** Stores `offset` (as the store would before anyone delivers it) and returns the publication. */
  store(offset: number, epoch = this.epoch): Positioned {
    if (epoch === this.epoch) this.stored.set(offset, `d${offset}`);
    return { position: { epoch, offset }, data: `d${offset}`, except: undefined };
  }

  offsets(): number[] {
    return this.delivered.map((p) => p.position.offset);
  }
}

/** A started ordered feed (the store's top read) whose next expected offset is `top + 1`. */
async function startedFeed(host: FakeFeedHost, top: number): Promise<TopicFeed> {
  for (let o = 1; o <= top; o++) host.store(o);
  host.topAnswer = Promise.resolve({ epoch: host.epoch, offset: top });
  const feed = new TopicFeed("t", true, host);
  await sleep(0); // top() resolved, held publications (none) accepted
  return feed;
}

describe("TopicFeed, shared store (ordered)", () => {
  it("delivers publications that arrive out of order in offset order, each once", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 4);
    const p5 = host.store(5), p6 = host.store(6), p7 = host.store(7), p8 = host.store(8);
    feed.accept(p7);
    feed.accept(p6);
    assert.deepEqual(host.offsets(), [], "7 and 6 wait for 5");
    feed.accept(p5);
    assert.deepEqual(host.offsets(), [5, 6, 7], "5 came: 5, 6, 7 at once");
    feed.accept(p8);
    assert.deepEqual(host.offsets(), [5, 6, 7, 8]);
    // The held ones are delivered as they arrived (data and all), not re-read from the store.
    assert.equal(host.delivered[1], p6);
    assert.equal(host.delivered[2], p7);
    await sleep(FILL_DELAY_MS * 2);
    assert.deepEqual(host.fills, [], "nothing was missing: the store was never read");
    feed.close();
  });

  it("fills a hole from the store after FILL_DELAY_MS, then delivers what waited", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 2);
    host.store(3);
    host.store(4); // 3 and 4 never arrive (a broker that lost them)
    const p5 = host.store(5);
    feed.accept(p5);
    assert.deepEqual(host.offsets(), []);
    await waitUntil(() => host.delivered.length === 3, "the hole filled");
    assert.deepEqual(host.offsets(), [3, 4, 5]);
    assert.deepEqual(host.fills, [{ after: { epoch: "e1", offset: 2 }, limit: 2 }], "read only the hole");
    assert.deepEqual(host.delivered.map((p) => p.data), ["d3", "d4", "d5"]);
    assert.equal(host.delivered[2], p5, "the one that waited keeps its own token");
    // Live delivery goes on in order.
    feed.accept(host.store(6));
    assert.deepEqual(host.offsets(), [3, 4, 5, 6]);
    feed.close();
  });

  it("drops a late copy (already delivered, or filled from the store before it came)", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 0);
    const p1 = host.store(1);
    feed.accept(p1);
    feed.accept(p1);
    feed.accept({ ...p1 });
    assert.deepEqual(host.offsets(), [1]);
    const p2 = host.store(2);
    feed.accept(host.store(3));
    await waitUntil(() => host.delivered.length === 3, "2 filled from the store");
    feed.accept(p2); // the broker's copy of 2, late
    feed.accept(host.store(4));
    assert.deepEqual(host.offsets(), [1, 2, 3, 4]);
    feed.close();
  });

  it("gives up a hole the store cannot fill: delivery goes on after it (the client sees the gap)", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 10);
    host.fillAnswer = () => Promise.resolve(undefined); // trimmed, or the store is down
    feed.accept(host.store(14));
    feed.accept(host.store(13));
    await waitUntil(() => host.delivered.length === 2, "given up");
    assert.deepEqual(host.offsets(), [13, 14]);
    feed.accept(host.store(15));
    feed.accept(host.store(12)); // older than what was delivered: late, dropped
    assert.deepEqual(host.offsets(), [13, 14, 15]);
    assert.equal(host.fills.length, 1);
    feed.close();
  });

  it("gives up a hole whose fill throws, the same way", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 0);
    host.fillAnswer = () => Promise.reject(new Error("store down"));
    feed.accept(host.store(3));
    await waitUntil(() => host.delivered.length === 1, "given up");
    assert.deepEqual(host.offsets(), [3]);
    feed.close();
  });

  it("a partial fill delivers what it got and reads the rest later", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 0);
    let calls = 0;
    host.fillAnswer = (after, limit) => {
      calls++;
      // The first read gives one publication of the hole, the next ones the rest.
      const n = calls === 1 ? 1 : limit;
      return Promise.resolve(Array.from({ length: n }, (_, i) => ({ offset: after.offset + 1 + i, data: `d${after.offset + 1 + i}` })));
    };
    feed.accept(host.store(5));
    await waitUntil(() => host.delivered.length === 5, "1..5");
    assert.deepEqual(host.offsets(), [1, 2, 3, 4, 5]);
    assert.deepEqual(host.fills.map((f) => [f.after.offset, f.limit]), [[0, 4], [1, 3]]);
    feed.close();
  });

  it("a copy that arrives while its hole is being read is delivered once", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 0);
    const reading = deferred<StoredPublication[] | undefined>();
    host.fillAnswer = () => reading.promise;
    const p1 = host.store(1), p2 = host.store(2);
    feed.accept(host.store(3));
    await waitUntil(() => host.fills.length === 1, "the fill started");
    feed.accept(p1); // arrives at last, while the store is read
    assert.deepEqual(host.offsets(), [1]);
    feed.accept(p2);
    assert.deepEqual(host.offsets(), [1, 2, 3]);
    reading.resolve([{ offset: 1, data: "d1" }, { offset: 2, data: "d2" }]);
    await sleep(FILL_DELAY_MS * 2);
    assert.deepEqual(host.offsets(), [1, 2, 3]);
    feed.close();
  });

  it("more than MAX_PENDING early publications: the hole is given up at once", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 0);
    host.fillAnswer = () => new Promise(() => {}); // a read that never answers
    for (let o = 2; o <= MAX_PENDING + 2; o++) feed.accept(host.store(o));
    assert.equal(host.delivered.length, MAX_PENDING + 1);
    assert.equal(host.delivered[0].position.offset, 2);
    assert.equal(host.delivered.at(-1)!.position.offset, MAX_PENDING + 2);
    feed.close();
  });

  it("a new epoch resets the order: its first publication is delivered, the old epoch's waiting ones are forgotten", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 3);
    feed.accept(host.store(4));
    feed.accept(host.store(6)); // waits for 5
    host.epoch = "e2";
    host.stored.clear();
    feed.accept(host.store(1));
    feed.accept(host.store(2));
    assert.deepEqual(host.delivered.map((p) => `${p.position.epoch}:${p.position.offset}`), ["e1:4", "e2:1", "e2:2"]);
    await sleep(FILL_DELAY_MS * 2);
    assert.equal(host.delivered.length, 3, "the old epoch's 6 is not delivered");
    // The new epoch is ordered like the old one.
    feed.accept(host.store(4));
    feed.accept(host.store(3));
    assert.deepEqual(host.offsets().slice(3), [3, 4]);
    feed.close();
  });

  it("while starting (top() pending) publications are held, then delivered in order after the top", async () => {
    const host = new FakeFeedHost();
    for (let o = 1; o <= 4; o++) host.store(o);
    const top = deferred<StreamPosition | undefined>();
    host.topAnswer = top.promise;
    const feed = new TopicFeed("t", true, host);
    feed.accept(host.store(7));
    feed.accept(host.store(5));
    feed.accept(host.store(6));
    await sleep(5);
    assert.deepEqual(host.offsets(), [], "nothing before the top is known");
    top.resolve({ epoch: "e1", offset: 4 });
    await waitUntil(() => host.delivered.length === 3, "the held ones");
    assert.deepEqual(host.offsets(), [5, 6, 7]);
    assert.equal(host.tops, 1);
    feed.close();
  });

  it("while starting, a publication stored before the top was read is still delivered (nobody else delivered it)", async () => {
    // A store appends 5 (a publish on this server, or another server's through the broker), the feed
    // is created (its first holder just subscribed) and asks for the top; 5 arrives and waits; the top
    // answer already counts 5. Nobody delivered 5: this server's subscribers (a plain socket.subscribe()
    // one, a channel one without recover) must get it.
    const host = new FakeFeedHost();
    for (let o = 1; o <= 4; o++) host.store(o);
    const top = deferred<StreamPosition | undefined>();
    host.topAnswer = top.promise;
    const feed = new TopicFeed("t", true, host);
    feed.accept(host.store(5));
    feed.accept(host.store(6));
    top.resolve({ epoch: "e1", offset: 6 });
    await sleep(5);
    assert.deepEqual(host.offsets(), [5, 6], "held publications stored before the top was read must not be dropped");
    feed.accept(host.store(7));
    assert.deepEqual(host.offsets(), [5, 6, 7]);
    feed.close();
  });

  it("a publication stored before the top was read that arrives after the start is delivered, once", async () => {
    // 5 was stored by another server and is still on its way through the broker when this feed reads the top (5).
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 5);
    const p5 = { position: { epoch: "e1", offset: 5 }, data: "d5", except: undefined };
    feed.accept(host.store(6));
    feed.accept(p5);
    feed.accept(p5); // a second copy of it is a late copy
    feed.accept(host.store(7));
    assert.deepEqual(host.offsets(), [6, 5, 7], "5 arrived after the order started at 6: delivered as it came, not dropped");
    feed.close();
  });

  it("while starting with a failed top(), the held publications are still ordered", async () => {
    const host = new FakeFeedHost();
    host.topAnswer = Promise.reject(new Error("store down"));
    host.topAnswer.catch(() => {});
    const feed = new TopicFeed("t", true, host);
    feed.accept(host.store(9));
    feed.accept(host.store(8));
    await waitUntil(() => host.delivered.length === 2, "the held ones");
    assert.deepEqual(host.offsets(), [8, 9]);
    feed.close();
  });

  it("a new epoch that starts while the old epoch's hole is read is still filled", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 0);
    const reading = deferred<StoredPublication[] | undefined>();
    host.fillAnswer = () => reading.promise;
    feed.accept(host.store(3)); // a hole 1..2 in e1
    await waitUntil(() => host.fills.length === 1, "the fill of e1 started");
    host.epoch = "e2";
    host.stored.clear();
    host.fillAnswer = undefined;
    feed.accept(host.store(1)); // the store started again
    host.store(2); // lost by the broker
    feed.accept(host.store(3)); // waits for 2
    reading.resolve(undefined);
    await waitUntil(() => host.delivered.length === 3, "e2's hole filled", 1000);
    assert.deepEqual(host.delivered.map((p) => `${p.position.epoch}:${p.position.offset}`), ["e2:1", "e2:2", "e2:3"]);
    feed.close();
  });

  it("taps get what is delivered, in delivery order, and overflow past MAX_TAPPED", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 0);
    const before = feed.tap();
    feed.accept(host.store(2));
    feed.accept(host.store(1));
    const late = feed.tap();
    feed.accept(host.store(3));
    assert.deepEqual(before.items.map((p) => p.position.offset), [1, 2, 3]);
    assert.deepEqual(late.items.map((p) => p.position.offset), [3], "a tap sees what comes after it");
    assert.deepEqual(before.items, host.delivered);
    feed.untap(late);
    feed.accept(host.store(4));
    assert.equal(late.items.length, 1, "untapped: no more");

    const big = feed.tap();
    for (let o = 5; o < 5 + MAX_TAPPED; o++) feed.accept(host.store(o));
    assert.equal(big.items.length, MAX_TAPPED);
    assert.equal(big.overflowed, false);
    feed.accept(host.store(5 + MAX_TAPPED));
    assert.equal(big.overflowed, true);
    assert.equal(big.items.length, 0, "an overflowed tap keeps nothing (its session reads the store)");
    feed.accept(host.store(6 + MAX_TAPPED));
    assert.equal(big.items.length, 0);
    big.reset();
    feed.accept(host.store(7 + MAX_TAPPED));
    assert.equal(big.overflowed, false);
    assert.deepEqual(big.items.map((p) => p.position.offset), [7 + MAX_TAPPED]);
    assert.equal(host.delivered.length, 7 + MAX_TAPPED, "the hub got everything");
    feed.close();
  });

  it("catchUp() reads the top a moment later and delivers, in order, what never came up to it", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 2);
    // 3 and 4 were stored and published through the broker before this server listened: they never come.
    host.store(3);
    host.store(4);
    host.topAnswer = Promise.resolve({ epoch: "e1", offset: 4 });
    feed.catchUp();
    feed.catchUp(); // joins in a burst share one read
    assert.equal(host.tops, 1, "only the start's read so far");
    await waitUntil(() => host.delivered.length === 2, "3 and 4 read from the store");
    assert.deepEqual(host.offsets(), [3, 4]);
    assert.equal(host.tops, 2);
    assert.deepEqual(host.fills, [{ after: { epoch: "e1", offset: 2 }, limit: 2 }]);
    feed.accept(host.store(5));
    feed.accept(host.store(4)); // the broker's copy after all: late
    assert.deepEqual(host.offsets(), [3, 4, 5]);

    // Nothing missing: no fill. An early publication waiting meanwhile is filled the usual way.
    host.topAnswer = Promise.resolve({ epoch: "e1", offset: 5 });
    feed.catchUp();
    await sleep(FILL_DELAY_MS * 2);
    assert.equal(host.fills.length, 1);
    host.store(6);
    host.store(7);
    host.topAnswer = Promise.resolve({ epoch: "e1", offset: 7 });
    feed.catchUp();
    feed.accept(host.store(8)); // 6 and 7 lost, 8 came
    await waitUntil(() => host.delivered.length === 6, "6, 7, 8");
    assert.deepEqual(host.offsets(), [3, 4, 5, 6, 7, 8]);
    feed.close();
  });

  it("catchUp(): what arrives before the read answers is not read again; a top of another epoch is ignored", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 0);
    const top = deferred<StreamPosition | undefined>();
    host.topAnswer = top.promise;
    feed.catchUp();
    await waitUntil(() => host.tops === 2, "the catch-up read");
    feed.accept(host.store(1));
    feed.accept(host.store(2));
    top.resolve({ epoch: "e1", offset: 2 });
    await sleep(FILL_DELAY_MS * 2);
    assert.deepEqual(host.offsets(), [1, 2]);
    assert.deepEqual(host.fills, []);
    host.topAnswer = Promise.resolve({ epoch: "other", offset: 40 });
    feed.catchUp();
    await sleep(FILL_DELAY_MS * 2);
    assert.deepEqual(host.fills, []);
    assert.deepEqual(host.offsets(), [1, 2]);
    feed.close();
  });

  it("catchUp() while the feed still starts (its top() is slow) waits for the start", async () => {
    const host = new FakeFeedHost();
    const start = deferred<StreamPosition | undefined>();
    host.topAnswer = start.promise;
    const feed = new TopicFeed("t", true, host);
    const catchUpRead = deferred<StreamPosition | undefined>();
    host.topAnswer = catchUpRead.promise;
    feed.catchUp();
    await waitUntil(() => host.tops === 2, "the catch-up read");
    for (let o = 1; o <= 3; o++) host.store(o); // 1 was delivered before the feed; 2 and 3 never come
    catchUpRead.resolve({ epoch: "e1", offset: 3 }); // answers before the start's read
    await sleep(5);
    host.topAnswer = Promise.resolve({ epoch: "e1", offset: 3 });
    start.resolve({ epoch: "e1", offset: 1 });
    await waitUntil(() => host.delivered.length === 2, "2 and 3 read from the store");
    assert.deepEqual(host.offsets(), [2, 3]);
    feed.close();
  });

  it("catchUp() on a feed of a store of this process, or a closed feed, reads nothing", async () => {
    const host = new FakeFeedHost();
    const unordered = new TopicFeed("t", false, host);
    unordered.catchUp();
    const ordered = await startedFeed(host, 0);
    host.store(1);
    host.topAnswer = Promise.resolve({ epoch: "e1", offset: 1 });
    const tops = host.tops;
    ordered.catchUp();
    ordered.close();
    await sleep(FILL_DELAY_MS * 2);
    assert.equal(host.tops, tops);
    assert.deepEqual(host.delivered, []);
  });

  it("close() stops the fill timer and the start: nothing is read or delivered afterwards", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 0);
    feed.accept(host.store(3));
    feed.close();
    await sleep(FILL_DELAY_MS * 3);
    assert.deepEqual(host.fills, []);
    assert.deepEqual(host.delivered, []);
    feed.accept(host.store(1));
    assert.deepEqual(host.delivered, [], "a closed feed delivers nothing");

    const top = deferred<StreamPosition | undefined>();
    const host2 = new FakeFeedHost();
    host2.topAnswer = top.promise;
    const starting = new TopicFeed("t", true, host2);
    starting.accept(host2.store(1));
    starting.close();
    top.resolve({ epoch: "e1", offset: 0 });
    await sleep(5);
    assert.deepEqual(host2.delivered, []);
  });

  it("flush() delivers what still waits, in offset order (the last holder left: other subscribers must get it)", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 0);
    feed.accept(host.store(5));
    feed.accept(host.store(3));
    feed.accept(host.store(4)); // 1 and 2 have not come
    assert.deepEqual(host.offsets(), []);
    feed.flush();
    feed.close();
    assert.deepEqual(host.offsets(), [3, 4, 5]);
    await sleep(FILL_DELAY_MS * 2);
    assert.deepEqual(host.fills, [], "closed: the hole is not read any more");

    const host2 = new FakeFeedHost();
    host2.topAnswer = new Promise(() => {}); // still starting
    const starting = new TopicFeed("t", true, host2);
    starting.accept(host2.store(2));
    starting.accept(host2.store(1));
    starting.flush();
    starting.close();
    assert.deepEqual(host2.offsets(), [2, 1], "held while starting: as they came");
  });

  it("close() during a fill: the fill's answer is ignored", async () => {
    const host = new FakeFeedHost();
    const feed = await startedFeed(host, 0);
    const reading = deferred<StoredPublication[] | undefined>();
    host.fillAnswer = () => reading.promise;
    feed.accept(host.store(2));
    await waitUntil(() => host.fills.length === 1, "fill started");
    feed.close();
    reading.resolve([{ offset: 1, data: "d1" }]);
    await sleep(FILL_DELAY_MS * 2);
    assert.deepEqual(host.delivered, []);
    assert.equal(host.fills.length, 1);
  });
});

describe("TopicFeed, store of this process (unordered)", () => {
  it("passes every publication straight on, in arrival order, without reading the store", async () => {
    const host = new FakeFeedHost();
    const feed = new TopicFeed("t", false, host);
    const tap = feed.tap();
    for (const o of [1, 2, 3, 5, 4, 4]) feed.accept(host.store(o));
    assert.deepEqual(host.offsets(), [1, 2, 3, 5, 4, 4]);
    assert.deepEqual(tap.items.map((p) => p.position.offset), [1, 2, 3, 5, 4, 4]);
    feed.accept(host.store(1, "other"));
    assert.equal(host.delivered.length, 7);
    await sleep(FILL_DELAY_MS * 2);
    assert.equal(host.tops, 0);
    assert.deepEqual(host.fills, []);
    feed.close();
    feed.accept(host.store(9));
    assert.equal(host.delivered.length, 7);
  });
});
