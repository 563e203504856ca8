/**
 * Micro-benchmark without a network: fullduplex's per-message path (engine
 * callback → adapter → Connection.received → handler → Socket.send →
 * transport) against the same job done by hand on the engine's callback, in
 * nanoseconds per message. Runs on Deno or Bun and measures that runtime's
 * adapter; prints one line `RESULT {json}`.
 *
 * The core is the real one with its defaults (message-size limit, keep-alive
 * bookkeeping, guarded handlers). Only the engine socket is a stub, the same
 * stub for both paths, so their difference is what the library adds.
 *
 * - Bun: the real adapter's `websocket` handlers are called as Bun.serve would.
 * - Deno: the real DenoTransport over the stub, and the real event wiring
 *   (`wireDenoSocket`) on a stub that stands for the socket only
 *   Deno.upgradeWebSocket can create; its `onmessage` is called as Deno would.
 *
 * Usage: `micro.ts [quick] [cpu]`. With `cpu`, batches are timed by the
 * main thread's CPU time instead of the wall clock, so that other processes
 * on a busy machine do not count (bench/micro_compare.sh uses it).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import type { AcceptedUpgrade } from "../src/server/core.ts";
import type { WebSocketOptions } from "../src/server/options.ts";
import { DenoAdapter, wireDenoSocket } from "../src/adapters/deno.ts";
import type { DenoWebSocket } from "../src/adapters/deno_api.ts";
import { DenoTransport } from "../src/adapters/deno_transport.ts";
import { BunAdapter } from "../src/adapters/bun.ts";
import type { BunSocketData } from "../src/adapters/bun.ts";
import type { BunServerWebSocket } from "../src/adapters/bun_api.ts";
import { JSON_PAYLOAD } from "./payloads.ts";

/** One case's result. */
export interface MicroRow {
  name: string;
  handNs: number;
  libNs: number;
  overheadNs: number;
  /** The library path delivered exactly what the hand path did. */
  ok: boolean;
}

const g = globalThis as unknown as {
  Deno?: { args: string[]; exit(c: number): never };
  Bun?: { argv: string[] };
  process?: { exit(c: number): never };
};
const runtime: "deno" | "bun" = g.Bun !== undefined ? "bun" : "deno";
const args = g.Deno !== undefined ? g.Deno.args : g.Bun!.argv.slice(2);
const quick = args.includes("quick");
/**
 * Milliseconds of the wall clock, or with `cpu` of this thread's time on a
 * CPU: Linux's /proc/thread-self/schedstat counts it in nanoseconds (the
 * runtimes' threadCpuUsage() has 10 ms steps on Deno).
 */
const now: () => number = args.includes("cpu")
  ? () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6
  : () => performance.now();

/** The engine socket stub: remembers what was sent, never backpressured. */
class StubEngineSocket implements BunServerWebSocket<unknown>, DenoWebSocket {
  data: BunSocketData<unknown>;
  binaryType = "nodebuffer";
  sent = 0;
  last: unknown = undefined;
  /**
   * Deno's count as its engine keeps it: each send adds its length at once,
   * and its write task subtracts it later. Here that write has run by the
   * time the next message arrives (both Deno paths reset it: a peer that keeps up),
   * so DenoTransport's send-queue accounting runs as on a real socket.
   */
  bufferedAmount = 0;
  readonly readyState = 1;
  constructor(accepted: AcceptedUpgrade<unknown>) {
    this.data = { accepted };
  }
  // The Deno socket's event slots (wireDenoSocket sets them).
  onopen: ((event: Event) => unknown) | null = null;
  onmessage: ((event: MessageEvent) => unknown) | null = null;
  onclose: ((event: CloseEvent) => unknown) | null = null;
  onerror: ((event: Event) => unknown) | null = null;
  send(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): number {
    this.sent++;
    this.last = data;
    this.bufferedAmount += typeof data === "string" ? data.length : data.byteLength;
    return typeof data === "string" ? data.length : data.byteLength;
  }
  close(): void {}
  terminate(): void {}
  ping(): number {
    return 0;
  }
  getBufferedAmount(): number {
    return 0;
  }
  subscribe(): void {}
  unsubscribe(): void {}
  publish(): number {
    return 0;
  }
}

const accepted: AcceptedUpgrade<unknown> = { data: undefined, protocol: "", headers: {}, remote: { address: "127.0.0.1", port: 1 } };

/** The handlers the fullduplex benchmark server uses. */
const echoHandlers: WebSocketOptions<unknown> = {
  message(socket, msg) {
    socket.send(msg.kind === "text" ? msg.text() : msg.bytes());
  },
};
const jsonHandlers: WebSocketOptions<unknown> = {
  message(socket, msg) {
    socket.sendJson(msg.json());
  },
};

/** A per-message function for each path, fed one payload. */
type Deliver = (payload: string | Uint8Array) => void;

function libPath(handlers: WebSocketOptions<unknown>, ws: StubEngineSocket): Deliver {
  if (runtime === "bun") {
    const handler = new BunAdapter<unknown>(handlers).websocket;
    handler.open(ws);
    return (payload) => handler.message(ws, payload);
  }
  const core = new DenoAdapter<unknown>(handlers).core;
  const conn = core.connection(new DenoTransport(ws, core.limits.backpressureLimit), accepted);
  wireDenoSocket(conn, ws);
  ws.onopen!(new Event("open"));
  // The adapter's own closure, called as Deno's event dispatch would.
  const onmessage = ws.onmessage!;
  const event = { data: "" as string | ArrayBuffer };
  return (payload) => {
    ws.bufferedAmount = 0; // the previous reply has been written (both paths alike)
    event.data = typeof payload === "string" ? payload : (payload.buffer as ArrayBuffer);
    onmessage(event as MessageEvent);
  };
}

function handPath(json: boolean, ws: StubEngineSocket): Deliver {
  if (runtime === "bun") {
    const handlers = json
      ? { message: (s: StubEngineSocket, m: string | Uint8Array) => s.send(JSON.stringify(JSON.parse(m as string))) }
      : { message: (s: StubEngineSocket, m: string | Uint8Array) => s.send(m) };
    return (payload) => handlers.message(ws, payload);
  }
  const onmessage = json
    ? (event: { data: string | ArrayBuffer }) => ws.send(JSON.stringify(JSON.parse(event.data as string)))
    : (event: { data: string | ArrayBuffer }) => ws.send(event.data); // raw_deno.ts sends the ArrayBuffer back as is
  const event = { data: "" as string | ArrayBuffer };
  return (payload) => {
    ws.bufferedAmount = 0; // the previous reply has been written (both paths alike)
    event.data = typeof payload === "string" ? payload : (payload.buffer as ArrayBuffer);
    onmessage(event);
  };
}

/** Nanoseconds per call of `deliver` over `n` calls. */
function time(deliver: Deliver, payload: string | Uint8Array, n: number, clock: () => number = now): number {
  const t0 = clock();
  for (let i = 0; i < n; i++) deliver(payload);
  return ((clock() - t0) * 1e6) / n;
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function runCase(name: string, payload: string | Uint8Array, json: boolean): MicroRow {
  const handWs = new StubEngineSocket(accepted);
  const libWs = new StubEngineSocket(accepted);
  const hand = handPath(json, handWs);
  const lib = libPath(json ? jsonHandlers : echoHandlers, libWs);
  // Warm up both (JIT), then size each timed batch to ~150 ms.
  const warm = quick ? 2_000 : 200_000;
  // Sized on the wall clock: the CPU-time clock may not have ticked yet over a short warm-up.
  const wall = () => performance.now();
  const perCall = Math.max(time(hand, payload, warm, wall), time(lib, payload, warm, wall), 1);
  const n = quick ? 1_000 : Math.max(10_000, Math.round(150e6 / perCall));
  const reps = quick ? 1 : 7;
  const hands: number[] = [];
  const libs: number[] = [];
  for (let r = 0; r < reps; r++) {
    hands.push(time(hand, payload, n));
    libs.push(time(lib, payload, n));
  }
  const handNs = medianOf(hands);
  const libNs = medianOf(libs);
  // Same text, or views of the same received buffer (Deno's hand path sends the ArrayBuffer itself).
  const bufferOf = (
    x: unknown,
  ) => (x instanceof ArrayBuffer
    ? x
    : x instanceof Uint8Array && x.byteOffset === 0 && x.byteLength === x.buffer.byteLength
    ? x.buffer
    : x);
  const same = (a: unknown, b: unknown) => (typeof a === "string" || typeof b === "string" ? a === b : bufferOf(a) === bufferOf(b));
  const ok = libWs.sent === handWs.sent && libWs.sent > 0 && same(libWs.last, handWs.last);
  return { name, handNs, libNs, overheadNs: libNs - handNs, ok };
}

const bytes = new Uint8Array(64 * 1024);
const rows: MicroRow[] = [
  runCase("echo 32 B text", "x".repeat(32), false),
  runCase("echo 64 KiB binary", bytes, false),
  runCase("JSON echo (~130 B)", JSON_PAYLOAD, true),
];
/**
 * What the stub cannot show: DenoTransport.send reads `ws.bufferedAmount`
 * once or twice per send, and on a real Deno server socket that getter is a call
 * into Rust. Timed here on a real loopback connection (bounded to 5 s).
 */
async function denoBufferedAmountNs(): Promise<number> {
  const deno = (globalThis as unknown as {
    Deno: {
      serve(
        o: { port: number; hostname: string; onListen(): void },
        h: (r: Request) => Response,
      ): { addr: { port: number }; shutdown(): Promise<void> };
      upgradeWebSocket(r: Request): { socket: WebSocket; response: Response };
    };
  }).Deno;
  let measured: (ns: number) => void = () => {};
  const result = new Promise<number>((resolve) => (measured = resolve));
  const server = deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const { socket, response } = deno.upgradeWebSocket(req);
    socket.onopen = () => {
      const n = quick ? 10_000 : 1_000_000;
      let sum = 0;
      const runs: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) sum += socket.bufferedAmount;
        runs.push(((performance.now() - t0) * 1e6) / n);
      }
      measured(sum === 0 ? medianOf(runs) : NaN);
    };
    return response;
  });
  const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}`);
  const ns = await Promise.race([result, new Promise<number>((resolve) => setTimeout(() => resolve(NaN), 5000))]);
  client.close();
  return ns;
}

const engineNotes: string[] = [];
if (runtime === "deno") {
  const ns = await denoBufferedAmountNs();
  engineNotes.push(
    "not in the table: DenoTransport.send reads ws.bufferedAmount before each send (and again after a text send, " +
      `for its UTF-8 length), and that getter costs ${ns.toFixed(1)} ns on a real Deno socket (an op call), so the real ` +
      "per-message overhead on Deno is the table's plus once (binary) or twice (text) that much.",
  );
}
console.log("RESULT " + JSON.stringify({ runtime, quick, rows, engineNotes }));
// The core's keep-alive sweep (Bun) holds a timer: end explicitly.
if (g.Deno !== undefined) g.Deno.exit(0);
else g.process!.exit(0);
