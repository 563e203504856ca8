/**
 * The topic hub with channels on, over a counting in-process engine: one
 * publish hands the engine the raw payload once and the channel frame
 * once, whatever the number of subscribers of each kind; plain and
 * channel subscribers get their own kind; a broker message is framed the
 * same way; without channels nothing extra happens.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryBroker } from "../../src/broker/memory.ts";
import { TopicHub } from "../../src/server/pubsub.ts";
import { InProcessTopics } from "../../src/server/topics.ts";
import type { TopicMember } from "../../src/server/topics.ts";
import { ReadyStates } from "../../src/shared/types.ts";
import type { ReadyState, SendResult } from "../../src/shared/types.ts";

class CountingEngine extends InProcessTopics<null> {
  calls: (string | Uint8Array)[] = [];
  override publish(topic: string, data: string | Uint8Array, except: TopicMember<null> | undefined): number {
    this.calls.push(data);
    return super.publish(topic, data, except);
  }
}

class Member implements TopicMember<null> {
  readonly transport = null;
  readonly state: ReadyState = ReadyStates.OPEN;
  readonly got: (string | Uint8Array)[] = [];
  constructor(readonly channels: boolean) {}
  send(data: string | Uint8Array): SendResult {
    this.got.push(data);
    return "sent";
  }
}

describe("topic hub with channels", () => {
  it("frames once per kind per publish, never per subscriber", () => {
    const engine = new CountingEngine();
    const hub = new TopicHub(engine, undefined, (err) => assert.fail(String(err)), true);
    const plain = [new Member(false), new Member(false), new Member(false)];
    const chan = [new Member(true), new Member(true), new Member(true)];
    for (const m of [...plain, ...chan]) hub.subscribe(m, "t");
    assert.equal(hub.subscriberCount("t"), 6);
    assert.equal(hub.publish("t", "hi", undefined), 6);
    hub.publish("t", new Uint8Array([1]), undefined);
    assert.equal(engine.calls.length, 4);
    for (const m of plain) assert.deepEqual(m.got, ["hi", new Uint8Array([1])]);
    for (const m of chan) {
      assert.equal(m.got[0], 'c{"t":"msg","topic":"t","data":"hi"}');
      assert.deepEqual([...(m.got[1] as Uint8Array)], [0x70, 0, 1, 0x74, 1]);
      // The very same frame object for every channel subscriber.
      assert.equal(m.got[1], chan[0].got[1]);
    }
    // A channel publisher is left out of the framed fan-out only.
    hub.publish("t", "again", chan[0]);
    assert.equal(chan[0].got.length, 2);
    assert.equal(chan[1].got.length, 3);
    assert.equal(plain[0].got.length, 3);
  });

  it("frames a broker message for channel subscribers; without channels nothing extra", async () => {
    const broker = new MemoryBroker();
    const engine = new CountingEngine();
    const hub = new TopicHub(engine, broker, (err) => assert.fail(String(err)), true);
    const other = new TopicHub(new InProcessTopics<null>(), broker, (err) => assert.fail(String(err)));
    const chan = new Member(true);
    hub.subscribe(chan, "room");
    other.publish("room", "remote", undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(chan.got, ['c{"t":"msg","topic":"room","data":"remote"}']);

    const plainEngine = new CountingEngine();
    const off = new TopicHub(plainEngine, undefined, (err) => assert.fail(String(err)));
    off.subscribe(new Member(false), "x");
    off.publish("x", "y", undefined);
    assert.equal(plainEngine.calls.length, 1);
    assert.throws(() => off.subscribe(new Member(false), "a\u0000b"), /U\+0000/);
  });
});
