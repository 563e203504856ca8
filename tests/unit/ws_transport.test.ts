/**
 * Unit tests of the ws engine's Transport on a stand-in ws socket (plain
 * code over ws's API, so it runs on both runtimes): sends refused at
 * backpressureLimit counting each queued send's memory, text and binary
 * frames, write progress that stands still while nothing is written, and
 * a real terminate() and ping().
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WS_SEND_OVERHEAD_BYTES, WsTransport } from "../../src/adapters/ws_transport.ts";
import type { WsSendingSocket } from "../../src/adapters/ws_transport.ts";

/** A ws socket that queues every frame (2-byte header + payload) until `flush(n)` writes n bytes. */
class FakeWs implements WsSendingSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: { data: string | Uint8Array; binary: boolean }[] = [];
  closed: [number | undefined, string | undefined][] = [];
  terminated = 0;
  pings = 0;
  send(data: string | Uint8Array, options: { readonly binary: boolean }): void {
    this.sent.push({ data, binary: options.binary });
    this.bufferedAmount += 2 + (typeof data === "string" ? new TextEncoder().encode(data).byteLength : data.byteLength);
  }
  close(code?: number, reason?: string): void {
    this.closed.push([code, reason]);
  }
  terminate(): void {
    this.terminated++;
    this.readyState = 3;
  }
  ping(): void {
    this.pings++;
  }
  flush(n = this.bufferedAmount): void {
    this.bufferedAmount -= Math.min(n, this.bufferedAmount);
  }
}

describe("WsTransport", () => {
  it("sends strings as text and bytes as binary; 'sent' on an empty queue, 'queued' behind one", () => {
    const ws = new FakeWs();
    const t = new WsTransport(ws, 1 << 20);
    assert.equal(t.send("héllo"), "sent");
    assert.equal(t.send(new Uint8Array([1, 2, 3])), "queued", "the first send is still buffered");
    assert.deepEqual(ws.sent.map((s) => s.binary), [false, true]);
    ws.flush();
    assert.equal(t.send("again"), "sent");
  });

  it("refuses sends at backpressureLimit, charging each queued send its overhead", () => {
    const ws = new FakeWs();
    const limit = 64 * 1024;
    const t = new WsTransport(ws, limit);
    // 7-byte sends: by bytes alone 7,000 would fit; with the per-send overhead far fewer do.
    let accepted = 0;
    while (t.send("1234567") !== "dropped") {
      accepted++;
      assert.ok(accepted < 10_000, "a send was refused before 10,000");
    }
    const perSend = 9 + WS_SEND_OVERHEAD_BYTES;
    assert.equal(accepted, Math.ceil(limit / perSend), `each queued send costs ${perSend} bytes against the limit`);
    assert.equal(ws.sent.length, accepted, "a refused send never reaches ws");
    ws.flush();
    assert.equal(t.send("1234567"), "sent", "accepted again once written");
  });

  it("accepts a message larger than the limit on an empty queue (as Bun does)", () => {
    const ws = new FakeWs();
    const t = new WsTransport(ws, 1024);
    assert.equal(t.send(new Uint8Array(4096)), "sent");
    assert.equal(t.send(new Uint8Array(1)), "dropped");
  });

  it("write progress moves when queued data is written and stands still when it is not", () => {
    const ws = new FakeWs();
    const t = new WsTransport(ws, 1 << 20);
    for (let i = 0; i < 10; i++) t.send(new Uint8Array(1000));
    const start = t.writeProgress;
    assert.equal(t.writeProgress, start, "nothing written: no progress");
    ws.flush(2500);
    const moved = t.writeProgress;
    assert.ok(moved > start, "part of the queue was written");
    t.send(new Uint8Array(1000)); // a new send is not progress
    assert.equal(t.writeProgress, moved);
    assert.equal(t.bufferedAmount, ws.bufferedAmount);
  });

  it("drops a socket that ws is closing, and really terminates and pings", () => {
    const ws = new FakeWs();
    const t = new WsTransport(ws, 1 << 20);
    assert.equal(t.ping(), true);
    assert.equal(ws.pings, 1);
    t.close(1000, "bye");
    assert.deepEqual(ws.closed, [[1000, "bye"]]);
    ws.readyState = 2;
    assert.equal(t.send("late"), "dropped", "ws is closing it");
    assert.equal(t.ping(), false);
    assert.equal(t.terminate(), true, "ws can drop the TCP connection");
    assert.equal(ws.terminated, 1);
  });
});
