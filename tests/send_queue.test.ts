/**
 * SendQueue (src/server/send_queue.ts) against a model of Deno's engine: a
 * FIFO of frames whose payload bytes make up `bufferedAmount`, written in
 * order. The count must be exact for non-empty sends whatever the mix of
 * sizes and however the writes interleave with new sends (a slow but reading
 * peer), and may only overcount empty sends whose completion nothing proved.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SendQueue } from "../src/server/send_queue.ts";

/** The engine's side: queued frame sizes, oldest first. */
class EngineModel {
  frames: number[] = [];
  written: number[] = [];
  get buffered(): number {
    return this.frames.reduce((a, b) => a + b, 0);
  }
  send(size: number): void {
    this.frames.push(size);
  }
  writeOldest(k: number): void {
    for (let i = 0; i < k && this.frames.length > 0; i++) this.written.push(this.frames.shift()!);
  }
  /** Written empty frames after the last written non-empty one: nothing can prove they are gone. */
  unprovenEmpties(): number {
    let n = 0;
    for (let i = this.written.length - 1; i >= 0 && this.written[i] === 0; i--) n++;
    return n;
  }
}

function send(engine: EngineModel, queue: SendQueue, size: number): void {
  queue.count(engine.buffered); // what DenoTransport.send does first (memory() calls count())
  engine.send(size);
  queue.record(size);
}

describe("SendQueue", () => {
  it("counts every queued send of a stuck peer", () => {
    const engine = new EngineModel();
    const queue = new SendQueue(1000);
    for (let i = 0; i < 10_000; i++) send(engine, queue, 7);
    assert.equal(queue.count(engine.buffered), 10_000);
    assert.equal(queue.memory(engine.buffered), 10_000 * 7 + 10_000 * 1000);
  });

  it("a slow peer that reads keeps its count small although its buffer is never empty", () => {
    const engine = new EngineModel();
    const queue = new SendQueue(1000);
    let most = 0;
    for (let i = 0; i < 10; i++) send(engine, queue, 7);
    for (let i = 0; i < 100_000; i++) {
      send(engine, queue, 7);
      if (i % 10 === 9) engine.writeOldest(10); // reads as fast as the server sends, 10 behind
      const counted = queue.count(engine.buffered);
      assert.equal(counted, engine.frames.length);
      most = Math.max(most, counted);
      assert.ok(engine.buffered > 0);
    }
    assert.ok(most < 20, `never more than the 10-19 really queued, saw ${most}`);
    assert.equal(queue.count(engine.buffered), engine.frames.length);
  });

  it("tiny sends queued behind a large one are counted one by one once it is written", () => {
    const engine = new EngineModel();
    const queue = new SendQueue(1000);
    send(engine, queue, 1024 * 1024);
    for (let i = 0; i < 5000; i++) send(engine, queue, 1);
    engine.writeOldest(1);
    assert.equal(queue.count(engine.buffered), 5000);
  });

  it("empty sends count until a later send is written", () => {
    const engine = new EngineModel();
    const queue = new SendQueue(1000);
    for (let i = 0; i < 3; i++) send(engine, queue, 0);
    assert.equal(queue.count(0), 3, "bufferedAmount 0 proves nothing about empty sends");
    engine.writeOldest(3);
    assert.equal(queue.count(engine.buffered), 3, "still unproven");
    send(engine, queue, 5);
    engine.writeOldest(1);
    assert.equal(queue.count(engine.buffered), 0, "the 5-byte send written after them proves them written");
  });

  it("written bytes advance with the engine's writes and stand still while it is stuck", () => {
    const engine = new EngineModel();
    const queue = new SendQueue(1000);
    for (let i = 0; i < 10; i++) send(engine, queue, 100);
    engine.writeOldest(4);
    queue.count(engine.buffered);
    assert.equal(queue.written, 400);
    queue.count(engine.buffered);
    assert.equal(queue.written, 400);
    engine.writeOldest(6);
    queue.count(engine.buffered); // all written: the queue starts again from zero
    assert.equal(queue.written, 1000);
    send(engine, queue, 50);
    engine.writeOldest(1);
    queue.count(engine.buffered);
    assert.equal(queue.written, 1050);
  });

  it("property: exact for non-empty sends under any interleaving of sends and writes", () => {
    const step = fc.oneof(
      fc.record({ send: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 100_000 })) }),
      fc.record({ write: fc.integer({ min: 0, max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 400 }), (steps) => {
        const engine = new EngineModel();
        const queue = new SendQueue(1000);
        for (const s of steps) {
          if ("send" in s) send(engine, queue, s.send);
          else engine.writeOldest(s.write);
          const counted = queue.count(engine.buffered);
          assert.equal(counted, engine.frames.length + engine.unprovenEmpties());
        }
      }),
      { seed: 6455, numRuns: 300 },
    );
  });
});
