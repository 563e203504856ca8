/**
 * The one load generator every target of a scenario is driven by. Runs on
 * Deno or Bun (the runner picks the runtime per scenario), uses the
 * runtime's global WebSocket, and prints one line `RESULT {json}`.
 *
 * Usage: `loadgen.ts '<LoadSpec as JSON>'`. Every phase is bounded: the
 * process stops by itself, reporting an error instead of hanging.
 *
 * - echo / json: `connections` sockets each keep `window` messages in flight;
 *   after `warmupMs`, replies are counted and timed for `steadyMs` while
 *   the server's CPU time is read from /proc at both ends.
 * - fanout: `connections` subscribers and one publisher that keeps `window`
 *   messages outstanding (a message is done when every subscriber has it).
 * - idle: opens `connections` sockets, at most `concurrency` handshakes at a
 *   time, then reads the server's RSS and checks each socket still echoes.
 *
 * @module
 */

import { LatencyHistogram } from "./histogram.ts";
import { cpuSeconds, memoryBytes } from "./proc.ts";
import { JSON_PAYLOAD } from "./payloads.ts";

/** What to run. */
export interface LoadSpec {
  mode: "echo" | "json" | "fanout" | "idle";
  /** ws://127.0.0.1:port (no path). */
  url: string;
  /** The server's pid, for /proc. */
  serverPid: number;
  /** Several server processes (reusePort): their CPU time is summed. Default `[serverPid]`. */
  serverPids?: number[];
  connections: number;
  /** echo: bytes per message. */
  size?: number;
  /** echo: binary frames instead of text. */
  binary?: boolean;
  /** Messages in flight per connection (fan-out: outstanding publications). */
  window?: number;
  warmupMs?: number;
  steadyMs?: number;
  /** idle: handshakes in progress at once. */
  concurrency?: number;
}

/** What a run measured. */
export interface LoadResult {
  ok: boolean;
  error?: string;
  /** Messages answered (fan-out: deliveries) during the steady phase. */
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  /** Server CPU seconds during the steady phase. */
  serverCpuSeconds: number;
  /** Server CPU seconds per 100,000 messages. */
  cpuPer100k: number;
  p50Ms: number;
  p99Ms: number;
  /** Replies that did not match what was sent. */
  mismatches: number;
  /** idle: milliseconds to open every connection. */
  openMs?: number;
  /** idle: server RSS before and after opening them (bytes). */
  rssBefore?: number;
  rssAfter?: number;
  /** idle: server RSS growth per connection (bytes). */
  bytesPerConnection?: number;
}

const isBun = typeof (globalThis as Record<string, unknown>).Bun === "object";

function argvJson(): string {
  const g = globalThis as unknown as { Deno?: { args: string[] }; Bun?: { argv: string[] } };
  const args = g.Deno !== undefined ? g.Deno.args : g.Bun!.argv.slice(2);
  if (args.length !== 1) throw new Error("usage: loadgen.ts '<LoadSpec JSON>'");
  return args[0];
}

function exit(code: number): never {
  const g = globalThis as unknown as { Deno?: { exit(c: number): never }; process?: { exit(c: number): never } };
  if (g.Deno !== undefined) g.Deno.exit(code);
  return g.process!.exit(code);
}

/** CPU seconds of the server process(es) so far. */
function serverCpu(spec: LoadSpec): number {
  return (spec.serverPids ?? [spec.serverPid]).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Opens one socket with compression off (Bun's client offers permessage-deflate by default). */
function open(url: string): WebSocket {
  const ws = isBun
    ? new (WebSocket as unknown as new (url: string, options: object) => WebSocket)(url, { perMessageDeflate: false })
    : new WebSocket(url);
  ws.binaryType = "arraybuffer";
  return ws;
}

/** Opens `n` sockets, at most `concurrency` handshakes at a time; rejects on the first failure or after `timeoutMs`. */
async function openMany(url: string, n: number, concurrency: number, timeoutMs: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  let next = 0;
  const deadline = Date.now() + timeoutMs;
  const worker = async () => {
    while (next < n) {
      next++;
      const ws = open(url);
      sockets.push(ws);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`connection ${sockets.length} did not open in time`)),
          Math.max(1, deadline - Date.now()),
        );
        ws.onopen = () => {
          clearTimeout(timer);
          resolve();
        };
        ws.onerror = () => {
          clearTimeout(timer);
          reject(new Error(`connection ${sockets.length} failed to open`));
        };
      });
      ws.onerror = null;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return sockets;
}

/** Closes every socket and waits (bounded) for the close events. */
async function closeAll(sockets: WebSocket[], timeoutMs = 3000): Promise<void> {
  let open = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => (done = resolve));
  for (const ws of sockets) {
    if (ws.readyState === WebSocket.CLOSED) continue;
    open++;
    ws.onclose = () => {
      if (--open === 0) done();
    };
    ws.onmessage = null;
    try {
      ws.close(1000);
    } catch { /* already closing */ }
  }
  if (open > 0) await Promise.race([all, sleep(timeoutMs)]);
}

function emptyResult(): LoadResult {
  return {
    ok: true,
    messages: 0,
    seconds: 0,
    messagesPerSecond: 0,
    serverCpuSeconds: 0,
    cpuPer100k: 0,
    p50Ms: NaN,
    p99Ms: NaN,
    mismatches: 0,
  };
}

/** echo and json: a closed loop with a bounded window per connection. */
async function runEcho(spec: LoadSpec): Promise<LoadResult> {
  const window = spec.window ?? 8;
  const size = spec.size ?? 32;
  const binary = spec.mode === "echo" && spec.binary === true;
  const text = spec.mode === "json" ? JSON_PAYLOAD : "x".repeat(size);
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i & 0xff;
  const payload: string | Uint8Array = binary ? bytes : text;
  const mid = size >> 1;

  const result = emptyResult();
  const hist = new LatencyHistogram();
  let measuring = false;
  let running = true;
  let inFlight = 0;
  let drained: () => void = () => {};
  let failure: string | undefined;

  const sockets = await openMany(spec.url + "/", spec.connections, 50, 10_000);
  for (const ws of sockets) {
    const sentAt = new Float64Array(window);
    let head = 0;
    let tail = 0;
    ws.onmessage = (e: MessageEvent) => {
      const now = performance.now();
      const data = e.data as string | ArrayBuffer;
      if (binary) {
        const view = data instanceof ArrayBuffer ? new Uint8Array(data) : undefined;
        if (
          view === undefined || view.byteLength !== size || view[0] !== 0 || view[mid] !== (mid & 0xff) ||
          view[size - 1] !== ((size - 1) & 0xff)
        ) result.mismatches++;
      } else if (data !== text) result.mismatches++;
      const latency = now - sentAt[head];
      head = head + 1 === window ? 0 : head + 1;
      if (measuring) {
        hist.record(latency);
        result.messages++;
      }
      if (running) {
        sentAt[tail] = now;
        tail = tail + 1 === window ? 0 : tail + 1;
        ws.send(payload);
      } else if (--inFlight === 0) drained();
    };
    ws.onclose = () => {
      if (running || inFlight > 0) failure ??= "a connection closed during the run";
    };
    for (let i = 0; i < window; i++) {
      sentAt[tail] = performance.now();
      tail = tail + 1 === window ? 0 : tail + 1;
      ws.send(payload);
    }
    inFlight += window;
  }

  await sleep(spec.warmupMs ?? 1000);
  const cpu0 = serverCpu(spec);
  const t0 = performance.now();
  measuring = true;
  await sleep(spec.steadyMs ?? 5000);
  measuring = false;
  const t1 = performance.now();
  const cpu1 = serverCpu(spec);
  running = false;
  // Let the messages in flight come back (each is still checked), bounded.
  const settled = await Promise.race([new Promise<boolean>((resolve) => (drained = () => resolve(true))), sleep(5000).then(() => false)]);
  if (!settled && failure === undefined) failure = `${inFlight} messages never came back`;
  await closeAll(sockets);

  result.seconds = (t1 - t0) / 1000;
  result.serverCpuSeconds = cpu1 - cpu0;
  result.messagesPerSecond = result.messages / result.seconds;
  result.cpuPer100k = result.messages > 0 ? (result.serverCpuSeconds * 100_000) / result.messages : NaN;
  result.p50Ms = hist.percentile(0.5);
  result.p99Ms = hist.percentile(0.99);
  if (failure !== undefined) result.error = failure;
  if (result.messages === 0) result.error ??= "no messages answered";
  if (result.mismatches > 0) result.error ??= `${result.mismatches} replies differ from what was sent`;
  result.ok = result.error === undefined;
  return result;
}

/** fanout: one publisher, `connections` subscribers, `window` publications outstanding. */
async function runFanout(spec: LoadSpec): Promise<LoadResult> {
  const window = spec.window ?? 4;
  const subscribers = spec.connections;
  const result = emptyResult();
  const hist = new LatencyHistogram();
  const subs = await openMany(spec.url + "/", subscribers, 50, 20_000);
  const [pub] = await openMany(spec.url + "/?pub", 1, 1, 5000);

  // Subscriptions are made server-side on open, which may run after the
  // client saw its own open: probe until every subscriber hears a probe.
  let heard = 0;
  for (const ws of subs) {
    let got = false;
    ws.onmessage = () => {
      if (!got) {
        got = true;
        heard++;
      }
    };
  }
  const probeDeadline = Date.now() + 10_000;
  while (heard < subscribers && Date.now() < probeDeadline) {
    pub.send("probe");
    await sleep(50);
  }
  if (heard < subscribers) {
    await closeAll([...subs, pub]);
    return { ...result, ok: false, error: `only ${heard} of ${subscribers} subscribers received a publication` };
  }
  await sleep(100); // stray probes arrive and are ignored below

  const sentAt = new Float64Array(window);
  const receipts = new Uint32Array(window);
  let nextSeq = 0;
  let oldest = 0;
  let running = true;
  let measuring = false;
  let lastProgress = performance.now();
  const publishNext = () => {
    const slot = nextSeq % window;
    sentAt[slot] = performance.now();
    receipts[slot] = 0;
    // 32 bytes of text carrying the sequence number.
    pub.send(String(nextSeq).padStart(32, "0"));
    nextSeq++;
  };
  for (const ws of subs) {
    let expected = 0;
    ws.onmessage = (e: MessageEvent) => {
      const data = e.data as string;
      if (data === "probe") return;
      const now = performance.now();
      const seq = parseInt(data, 10);
      if (seq !== expected) result.mismatches++;
      expected = seq + 1;
      const slot = seq % window;
      receipts[slot]++;
      if (measuring) {
        hist.record(now - sentAt[slot]);
        result.messages++;
      }
      while (oldest < nextSeq && receipts[oldest % window] === subscribers) {
        oldest++;
        lastProgress = now;
        if (running) publishNext();
      }
    };
  }
  for (let i = 0; i < window; i++) publishNext();

  const stalled = () => performance.now() - lastProgress > 3000;
  const wait = async (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end && !stalled()) await sleep(Math.min(50, ms));
  };
  await wait(spec.warmupMs ?? 1000);
  const cpu0 = serverCpu(spec);
  const t0 = performance.now();
  measuring = true;
  await wait(spec.steadyMs ?? 3000);
  measuring = false;
  const t1 = performance.now();
  const cpu1 = serverCpu(spec);
  running = false;
  const drainEnd = performance.now() + 5000;
  while (oldest < nextSeq && performance.now() < drainEnd) await sleep(20);
  const lost = nextSeq - oldest;
  await closeAll([...subs, pub]);

  result.seconds = (t1 - t0) / 1000;
  result.serverCpuSeconds = cpu1 - cpu0;
  result.messagesPerSecond = result.messages / result.seconds;
  result.cpuPer100k = result.messages > 0 ? (result.serverCpuSeconds * 100_000) / result.messages : NaN;
  result.p50Ms = hist.percentile(0.5);
  result.p99Ms = hist.percentile(0.99);
  if (lost > 0) result.error = `${lost} publications did not reach every subscriber`;
  if (result.messages === 0) result.error ??= "no deliveries";
  if (result.mismatches > 0) result.error ??= `${result.mismatches} deliveries out of order or missing`;
  result.ok = result.error === undefined;
  return result;
}

/** idle: open many connections, read the server's memory, check each still answers. */
async function runIdle(spec: LoadSpec): Promise<LoadResult> {
  const result = emptyResult();
  const rssBefore = memoryBytes(spec.serverPid, "VmRSS");
  const t0 = performance.now();
  const sockets = await openMany(spec.url + "/", spec.connections, spec.concurrency ?? 100, 60_000);
  result.openMs = performance.now() - t0;
  await sleep(500); // let the server finish its per-connection work
  const rssAfter = memoryBytes(spec.serverPid, "VmRSS");
  result.rssBefore = rssBefore;
  result.rssAfter = rssAfter;
  result.bytesPerConnection = (rssAfter - rssBefore) / spec.connections;

  // Every connection must still work: one small echo each, bounded.
  let answered = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => (done = resolve));
  for (const ws of sockets) {
    ws.onmessage = (e: MessageEvent) => {
      if (e.data !== "ok?") result.mismatches++;
      if (++answered === sockets.length) done();
    };
    ws.send("ok?");
  }
  await Promise.race([all, sleep(15_000)]);
  result.messages = answered;
  await closeAll(sockets, 5000);
  if (answered < spec.connections) result.error = `${spec.connections - answered} idle connections did not answer`;
  if (result.mismatches > 0) result.error ??= `${result.mismatches} wrong answers`;
  result.ok = result.error === undefined;
  return result;
}

async function main(): Promise<void> {
  const spec = JSON.parse(argvJson()) as LoadSpec;
  const guard = setTimeout(() => {
    console.log("RESULT " + JSON.stringify({ ...emptyResult(), ok: false, error: "load generator timed out" }));
    exit(1);
  }, 120_000);
  let result: LoadResult;
  try {
    result = spec.mode === "fanout" ? await runFanout(spec) : spec.mode === "idle" ? await runIdle(spec) : await runEcho(spec);
  } catch (err) {
    result = { ...emptyResult(), ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  clearTimeout(guard);
  console.log("RESULT " + JSON.stringify(result));
  exit(result.ok ? 0 : 1);
}

await main();
