/**
 * The npm package `ws` running ON DENO (through node:http's `upgrade`
 * event, `new WebSocketServer({ noServer: true })`) side by side with
 * Deno's native engine (Deno.serve + Deno.upgradeWebSocket), issue 16
 * part 5. Both servers are bench/investigate/ws_deno_server.ts in their own
 * process; CPU and memory come from /proc/<pid>/; the clients are
 * bench/loadgen.ts (the same client for both engines) and raw sockets
 * (tests/helpers/raw.ts) for the abuse cases. Runs alternate ws, native,
 * native, ws, … so drifts of a shared machine hit both alike.
 *
 * Usage: `deno run -A --no-check bench/investigate/ws_deno.ts [all|cpu|idle|abuse] [rounds]`
 * (default `all`, 4 rounds). Prints one `RESULT {json}` line per run, then
 * a table of medians and ratios ws-on-Deno / native Deno.
 *
 * Optional third engine for the CPU and idle parts: ws with its optional
 * native `bufferutil` (masking in C), from a directory outside the project:
 * `npm install --prefix /tmp/ws-bufferutil ws@8.23.0 bufferutil@4.1.0`, then
 * `WS_BUFFERUTIL_DIR=/tmp/ws-bufferutil deno run -A --no-check bench/investigate/ws_deno.ts`.
 * bench/FINDINGS.md ("ws on Deno") has the figures and the decision.
 *
 * With `WS_DENO_FULLDUPLEX=1` the CPU part compares fullduplex itself on
 * its two Deno engines instead of the bare engines: bench/servers/fullduplex.ts
 * `echo ws` (`engine: "ws"`) against `echo native` (Deno's engine), both with
 * fullduplex's defaults: `WS_DENO_FULLDUPLEX=1 deno run -A --no-check
 * bench/investigate/ws_deno.ts cpu 4`. (No bufferutil engine and no other
 * part in that mode.)
 *
 * @module
 */

import { deflateRawSync, inflateRawSync } from "node:zlib";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { LoadResult, LoadSpec } from "../loadgen.ts";
import { runForResult } from "../processes.ts";
import { median } from "../stats.ts";
import { closeCodeOf, encodeFrame, rawConnect } from "../../tests/helpers/raw.ts";
import type { RawPeer } from "../../tests/helpers/raw.ts";
import { spawnServer } from "../../tests/helpers/spawned.ts";
import type { SpawnedServer } from "../../tests/helpers/spawned.ts";

type Engine = "ws" | "native" | "ws-bufferutil";
/** The two engines every part compares. */
const PAIR: readonly Engine[] = ["ws", "native"];
/** fullduplex on its ws engine against fullduplex on Deno's engine (CPU part only), instead of the bare engines. */
const FULLDUPLEX = Deno.env.get("WS_DENO_FULLDUPLEX") === "1";
/** With WS_BUFFERUTIL_DIR set, the CPU and idle parts also run ws with its native bufferutil. */
const ENGINES: readonly Engine[] = Deno.env.get("WS_BUFFERUTIL_DIR") === undefined || FULLDUPLEX ? PAIR : [...PAIR, "ws-bufferutil"];
const SERVER = "bench/investigate/ws_deno_server.ts";
const MiB = 1024 * 1024;

const [what = "all", roundsArg = "4"] = Deno.args;
const ROUNDS = Math.max(1, Number(roundsArg));
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started = performance.now();

function log(line: string): void {
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);
}

function result(r: Record<string, unknown>): void {
  console.log("RESULT " + JSON.stringify(r));
}

/** Engines in the order of round `r`, rotated each round: ws, native, then native, ws, … */
function order(r: number, engines: readonly Engine[] = ENGINES): Engine[] {
  const k = r % engines.length;
  return [...engines.slice(k), ...engines.slice(0, k)];
}

function start(engine: Engine, options: Record<string, unknown> = {}): Promise<SpawnedServer> {
  if (FULLDUPLEX) return spawnServer("deno", "bench/servers/fullduplex.ts", ["echo", engine === "native" ? "native" : "ws"]);
  return spawnServer("deno", SERVER, [engine, JSON.stringify(options)]);
}

/** Medians per engine and metric, for the table. */
const figures = new Map<string, Map<Engine, number[]>>();
/** Facts that are not numbers (close codes, yes/no), per engine. */
const facts = new Map<string, Map<Engine, string>>();

function record(metric: string, engine: Engine, value: number): void {
  if (!figures.has(metric)) figures.set(metric, new Map());
  const m = figures.get(metric)!;
  if (!m.has(engine)) m.set(engine, []);
  m.get(engine)!.push(value);
}

function fact(metric: string, engine: Engine, value: string): void {
  if (!facts.has(metric)) facts.set(metric, new Map());
  facts.get(metric)!.set(engine, value);
}

async function settle(server: SpawnedServer, ms = 500): Promise<number> {
  await delay(ms);
  return server.rss();
}

/** Sends one command on a fresh `/ctl` connection and returns the reply. */
async function ctl(server: SpawnedServer, command: string): Promise<string> {
  const peer = await rawConnect(server.port, {}, "/ctl");
  try {
    peer.sendFrame(0x1, command);
    const f = await peer.waitFrame((x) => x.opcode === 0x1, 10_000);
    return new TextDecoder().decode(f.payload);
  } finally {
    peer.destroy();
  }
}

// ---- CPU per message ---------------------------------------------------------------------------

/** The two echo loads of bench/scenarios.ts ("small", "large"), with a shorter steady phase. */
const ECHOES: { id: string; client: "deno" | "bun"; load: Omit<LoadSpec, "url" | "serverPid"> }[] = [
  {
    id: "small echo (32 B text, 100 conns, Deno client)",
    client: "deno",
    load: { mode: "echo", connections: 100, size: 32, binary: false, window: 8, warmupMs: 300, steadyMs: 3000 },
  },
  {
    id: "large echo (64 KiB binary, 50 conns, Bun client)",
    client: "bun",
    load: { mode: "echo", connections: 50, size: 65536, binary: true, window: 8, warmupMs: 300, steadyMs: 3000 },
  },
];

async function load(client: "deno" | "bun", spec: Omit<LoadSpec, "url" | "serverPid">, server: SpawnedServer): Promise<LoadResult> {
  const full: LoadSpec = { ...spec, url: `ws://127.0.0.1:${server.port}`, serverPid: server.pid };
  try {
    return await runForResult<LoadResult>(client, "bench/loadgen.ts", [JSON.stringify(full)], 150_000);
  } catch (err) {
    return { ok: false, error: String(err).slice(0, 300) } as LoadResult;
  }
}

async function cpu(): Promise<void> {
  const servers = new Map<Engine, SpawnedServer>();
  try {
    for (const e of ENGINES) servers.set(e, await start(e));
    for (const echo of ECHOES) {
      log(`== ${echo.id}: warm-up`);
      for (const e of ENGINES) await load(echo.client, { ...echo.load, steadyMs: 500 }, servers.get(e)!);
      for (let r = 0; r < ROUNDS; r++) {
        for (const e of order(r)) {
          const res = await load(echo.client, echo.load, servers.get(e)!);
          result({ part: "cpu", echo: echo.id, engine: e, round: r, ...res });
          if (!res.ok) {
            log(`${e} FAILED: ${res.error}`);
            fact(`${echo.id}: failures`, e, res.error ?? "?");
            continue;
          }
          log(
            `${e.padEnd(6)} ${Math.round(res.messagesPerSecond)} msg/s, ${res.cpuPer100k.toFixed(3)} CPU s/100k, ` +
              `p50 ${res.p50Ms.toFixed(2)} ms, p99 ${res.p99Ms.toFixed(2)} ms`,
          );
          record(`${echo.id}: server CPU s / 100k`, e, res.cpuPer100k);
          record(`${echo.id}: messages/s`, e, res.messagesPerSecond);
          record(`${echo.id}: p50 ms`, e, res.p50Ms);
          record(`${echo.id}: p99 ms`, e, res.p99Ms);
        }
      }
      for (const e of ENGINES) record(`${echo.id}: peak RSS MiB (VmHWM, whole run)`, e, servers.get(e)!.peak() / MiB);
    }
  } finally {
    for (const s of servers.values()) await s.stop();
  }
}

// ---- memory per idle connection ----------------------------------------------------------------

async function idle(): Promise<void> {
  log("== idle connections (2,000, Bun client, fresh server per run)");
  for (let r = 0; r < Math.min(ROUNDS, 3); r++) {
    for (const e of order(r)) {
      const server = await start(e);
      try {
        await settle(server, 1000);
        const res = await load("bun", { mode: "idle", connections: 2000, concurrency: 100 }, server);
        result({ part: "idle", engine: e, round: r, ...res });
        if (!res.ok) {
          log(`${e} FAILED: ${res.error}`);
          continue;
        }
        log(`${e.padEnd(6)} ${((res.bytesPerConnection ?? 0) / 1024).toFixed(1)} KiB/conn, open ${res.openMs?.toFixed(0)} ms`);
        record("idle: KiB per connection (VmRSS growth / 2,000)", e, (res.bytesPerConnection ?? 0) / 1024);
        record("idle: ms to open 2,000", e, res.openMs ?? NaN);
      } finally {
        await server.stop();
      }
    }
  }
}

// ---- abuse cases -------------------------------------------------------------------------------

/** Item 1: an unmasked client frame (RFC 6455 5.1: the server MUST close; 1002). */
async function unmasked(): Promise<void> {
  for (const e of PAIR) {
    const server = await start(e);
    try {
      const peer = await rawConnect(server.port);
      peer.sendFrame(0x1, "unmasked hello", { mask: false });
      const f = await peer.waitFrame((x) => x.opcode === 0x1 || x.opcode === 0x8, 3000).catch(() => undefined);
      await Promise.race([peer.ended, delay(1000)]);
      const answer = f === undefined
        ? (peer.isEnded() ? "TCP dropped, no close frame" : "nothing within 3 s")
        : f.opcode === 0x1
        ? "answered (echoed)"
        : `close ${closeCodeOf(f)} "${new TextDecoder().decode(f.payload.subarray(2))}"`;
      fact("unmasked client frame", e, answer + (peer.isEnded() ? ", TCP closed" : ", TCP open"));
      result({ part: "unmasked", engine: e, answer, tcpEnded: peer.isEnded() });
      peer.destroy();
    } finally {
      await server.stop();
    }
  }
}

/** Item 2: a 60 MiB frame, and 48 MiB in 1 MiB fragments, against a 1 MiB limit. */
async function bigMessages(): Promise<void> {
  for (const kind of ["60 MiB frame", "48 MiB in 1 MiB fragments"]) {
    for (let r = 0; r < Math.min(ROUNDS, 3); r++) {
      for (const e of order(r, PAIR)) {
        const server = await start(e, { maxPayload: MiB });
        try {
          const base = await settle(server);
          const peer = await rawConnect(server.port);
          let written = 0;
          let closedAt = -1;
          const closeSeen = () => peer.isEnded() || peer.frames.some((f) => f.opcode === 0x8);
          const t0 = performance.now();
          const chunk = new Uint8Array(MiB);
          if (kind === "60 MiB frame") {
            const total = 60 * MiB;
            // Masked, mask key 0: the payload goes as is.
            peer.write(new Uint8Array([0x82, 0x80 | 127, 0, 0, 0, 0, total >>> 24, (total >>> 16) & 255, 0, 0, 0, 0, 0, 0]));
            for (let i = 0; i < 60 && !closeSeen(); i++) {
              peer.write(chunk);
              written += MiB;
              await delay(5);
            }
          } else {
            for (let i = 0; i < 48 && !closeSeen(); i++) {
              peer.sendFrame(i === 0 ? 0x2 : 0x0, chunk, { fin: i === 47 });
              written += MiB;
              await delay(5);
            }
          }
          const close = await peer.waitFrame((f) => f.opcode === 0x8, 20_000).catch(() => undefined);
          closedAt = written;
          const ms = performance.now() - t0;
          const peak = server.peak();
          peer.destroy();
          const code = close ? closeCodeOf(close) ?? "none" : peer.isEnded() ? "TCP dropped" : "none in 20 s";
          result({
            part: "big",
            kind,
            engine: e,
            round: r,
            closeCode: code,
            mibWrittenBeforeClose: closedAt / MiB,
            ms,
            peakGrowthMiB: (peak - base) / MiB,
          });
          log(`${kind}, ${e.padEnd(6)}: close ${code} after ${closedAt / MiB} MiB written, peak +${((peak - base) / MiB).toFixed(0)} MiB`);
          record(`${kind}, 1 MiB limit: server peak RSS growth MiB`, e, (peak - base) / MiB);
          record(`${kind}, 1 MiB limit: MiB the client wrote before the close`, e, closedAt / MiB);
          fact(`${kind}, 1 MiB limit: close code`, e, String(code));
        } finally {
          await server.stop();
        }
      }
    }
  }
}

/** The server's TCP connections on `port`: state and whether the server process still holds its descriptor. */
function serverTcp(pid: number, port: number): { state: string; remotePort: number; held: boolean; txQueue: number }[] {
  const STATES: Record<string, string> = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
  };
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch { /* closed meanwhile */ }
  }
  const out: { state: string; remotePort: number; held: boolean; txQueue: number }[] = [];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const localPort = parseInt(f[1].split(":")[1], 16);
    if (localPort !== port || f[3] === "0A") continue;
    out.push({
      state: STATES[f[3]] ?? f[3],
      remotePort: parseInt(f[2].split(":")[1], 16),
      held: inodes.has(f[9]),
      txQueue: parseInt(f[4].split(":")[0], 16),
    });
  }
  return out;
}

/**
 * Item 3: a peer that reads nothing while the server sends N × S bytes;
 * then the server drops it (ws: terminate(); native: close(), all it has):
 * memory before and after, and whether the TCP connection is really gone.
 */
async function stuckPeer(): Promise<void> {
  const cases: [number, number][] = [[65536, 1000], [7, 1_000_000]];
  type Stats = { open: number; buffered: number[]; heapUsed: number; external: number };
  const stats = async (server: SpawnedServer) => JSON.parse(await ctl(server, "stats")) as Stats;
  const js = (s: Stats) => (s.heapUsed + s.external) / MiB;
  for (const [size, n] of cases) {
    for (let r = 0; r < Math.min(ROUNDS, 2); r++) {
      for (const e of order(r, PAIR)) {
        const server = await start(e);
        let peer: RawPeer | undefined;
        try {
          await ctl(server, "gc");
          const base = await settle(server);
          const baseStats = await stats(server);
          const t0 = performance.now();
          peer = await rawConnect(server.port, {}, `/stuck?n=${n}&size=${size}`, { answerPings: false, answerClose: false });
          peer.pause();
          await server.line(/SENT .*/, 1, 120_000);
          const sendMs = performance.now() - t0;
          const held = await settle(server, 1000);
          const heldStats = await stats(server);
          const before = serverTcp(server.pid, server.port).filter((c) => c.held && c.state === "ESTABLISHED");
          const stuckPorts = new Set(before.map((c) => c.remotePort));
          await ctl(server, "drop");
          await delay(2000);
          await ctl(server, "gc");
          const afterDrop = await settle(server, 1000);
          const dropStats = await stats(server);
          const conns = serverTcp(server.pid, server.port).filter((c) => stuckPorts.has(c.remotePort));
          // Does the peer see the end once it reads again?
          peer.resume();
          const peerSawEnd = await Promise.race([peer.ended.then(() => true), delay(3000).then(() => false)]);
          const tcp = conns.map((c) => `${c.state}${c.held ? " (server fd open)" : " (server fd closed)"}`).join(", ") || "gone";
          // Freed for reuse, or leaked? The peer leaves, then a second identical stuck peer is dropped the same way.
          peer.destroy();
          await delay(1000);
          const second = await rawConnect(server.port, {}, `/stuck?n=${n}&size=${size}`, { answerPings: false, answerClose: false });
          second.pause();
          await server.line(/SENT .*/, 2, 120_000);
          await delay(1000);
          await ctl(server, "drop");
          await delay(2000);
          await ctl(server, "gc");
          const afterSecond = await settle(server, 1000);
          second.destroy();
          const r1 = {
            part: "stuck",
            engine: e,
            round: r,
            size,
            n,
            sendMs: Math.round(sendMs),
            bufferedAmount: heldStats.buffered[0] ?? null,
            heldGrowthMiB: (held - base) / MiB,
            heldJsGrowthMiB: js(heldStats) - js(baseStats),
            afterDropGrowthMiB: (afterDrop - base) / MiB,
            afterDropJsGrowthMiB: js(dropStats) - js(baseStats),
            afterSecondDropGrowthMiB: (afterSecond - base) / MiB,
            tcpAfterDrop: tcp,
            openSocketsAfterDrop: dropStats.open - 1, // minus the stats connection itself
            peerSawEndAfterResume: peerSawEnd,
          };
          result(r1);
          log(
            `stuck ${size} B × ${n}, ${e.padEnd(6)}: +${r1.heldGrowthMiB.toFixed(0)} MiB held (JS +${r1.heldJsGrowthMiB.toFixed(0)}), ` +
              `+${r1.afterDropGrowthMiB.toFixed(0)} after drop (JS +${r1.afterDropJsGrowthMiB.toFixed(0)}); TCP after drop: ${tcp}; ` +
              `peer saw end: ${peerSawEnd}`,
          );
          const label = `stuck peer, ${size === 65536 ? "64 KiB" : size + " B"} × ${n.toLocaleString("en-US")}`;
          record(`${label}: server RSS growth MiB while held`, e, r1.heldGrowthMiB);
          record(`${label}: V8 heap + external growth MiB while held`, e, r1.heldJsGrowthMiB);
          record(`${label}: RSS growth MiB 3 s after drop + GC`, e, r1.afterDropGrowthMiB);
          record(`${label}: V8 heap + external growth MiB after drop + GC`, e, r1.afterDropJsGrowthMiB);
          record(`${label}: RSS growth MiB after a second stuck peer, dropped too`, e, r1.afterSecondDropGrowthMiB);
          record(`${label}: ms to queue the sends`, e, sendMs);
          fact(`${label}: server's TCP socket 3 s after drop (ws terminate(), native close())`, e, tcp);
          fact(`${label}: peer sees TCP end (within 3 s of reading again)`, e, peerSawEnd ? "yes" : "no");
        } finally {
          peer?.destroy();
          await server.stop();
        }
      }
    }
  }
}

/** Strips the 00 00 ff ff tail of a sync flush (RFC 7692 7.2.1). */
function deflateMessage(bytes: Uint8Array): Uint8Array {
  const out = deflateRawSync(bytes, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  return out.subarray(0, out.length - 4);
}

/**
 * Inflates a run of messages compressed with context takeover (the
 * default, what browsers offer): one raw deflate stream, each message's
 * 00 00 ff ff tail put back (RFC 7692 7.2.2). Undefined if it is no valid stream.
 */
function inflateMessages(payloads: Uint8Array[]): Uint8Array | undefined {
  const total = payloads.reduce((n, p) => n + p.length + 4, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of payloads) {
    all.set(p, at);
    all.set([0, 0, 0xff, 0xff], at + p.length);
    at += p.length + 4;
  }
  try {
    return inflateRawSync(all, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  } catch {
    return undefined;
  }
}

/** Item 4: permessage-deflate (RFC 7692): negotiated? does a compressed message come back compressed? */
async function deflate(): Promise<void> {
  const text = new TextEncoder().encode(JSON.stringify(Array.from({ length: 800 }, (_, i) => ({ id: i, name: "fullduplex" }))));
  for (const e of PAIR) {
    const server = await start(e, { perMessageDeflate: true });
    try {
      const peer = await rawConnect(server.port, { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" });
      const agreed = /sec-websocket-extensions:\s*(.*)/i.exec(peer.head)?.[1]?.trim() ?? "";
      let answer: string;
      if (agreed.includes("permessage-deflate")) {
        const wire = deflateMessage(text);
        // 1,000 compressed messages (RSV1 set), each must come back compressed and equal.
        const N = 1000;
        const cpu0 = server.cpu();
        const one = encodeFrame(0x1, wire, true, true, 4);
        const burst = new Uint8Array(one.length * N);
        for (let i = 0; i < N; i++) burst.set(encodeFrame(0x1, wire, true, true, 4), i * one.length);
        peer.write(burst);
        const deadline = Date.now() + 20_000;
        while (peer.frames.filter((f) => f.opcode === 0x1).length < N && !peer.isEnded() && Date.now() < deadline) await delay(20);
        const replies = peer.frames.filter((f) => f.opcode === 0x1);
        const cpuMs = (server.cpu() - cpu0) * 1000;
        // Every reply compressed (RSV1 is not kept by the raw peer: a reply inflates to the text only if it was).
        const inflated = inflateMessages(replies.map((f) => f.payload));
        const expected = text.length * N;
        const good = inflated !== undefined && inflated.length === expected && replies.length === N &&
          inflated.every((b, i) => b === text[i % text.length]);
        const wireBack = replies.reduce((n, f) => n + f.payload.length, 0) / Math.max(1, replies.length);
        answer = `agreed (${agreed}); ${replies.length}/${N} echoes of a ${text.length}-byte JSON text ` +
          `(${wire.length} B on the wire) came back ${good ? "compressed and equal" : "WRONG"} (${Math.round(wireBack)} B each); ` +
          `${(cpuMs / N).toFixed(3)} ms server CPU per echo`;
        result({
          part: "deflate",
          engine: e,
          agreed,
          messages: N,
          replies: replies.length,
          good,
          wireBytes: wire.length,
          textBytes: text.length,
          cpuMsPerEcho: cpuMs / N,
        });
      } else {
        answer = "not agreed: the 101 has no Sec-WebSocket-Extensions (messages go uncompressed)";
        result({ part: "deflate", engine: e, agreed: "" });
      }
      fact("permessage-deflate offered by the client", e, answer);
      log(`deflate ${e}: ${answer}`);
      peer.destroy();
    } finally {
      await server.stop();
    }
  }
}

async function abuse(): Promise<void> {
  log("== abuse: unmasked frame");
  await unmasked();
  log("== abuse: big messages against a 1 MiB limit");
  await bigMessages();
  log("== abuse: stuck peer");
  await stuckPeer();
  log("== permessage-deflate");
  await deflate();
}

async function engineFacts(): Promise<void> {
  for (const e of ENGINES) {
    const server = await start(e);
    try {
      const info = JSON.parse(await ctl(server, "engine")) as Record<string, unknown>;
      fact("engine", e, Object.entries(info).map(([k, v]) => `${k} ${v}`).join(", "));
    } finally {
      await server.stop();
    }
  }
}

// ---- the table ---------------------------------------------------------------------------------

function num(v: number): string {
  if (!Number.isFinite(v)) return "–";
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : Number(v.toPrecision(3)).toString();
}

const TITLES: Record<Engine, string> = FULLDUPLEX
  ? { ws: "fullduplex, engine ws", native: "fullduplex, Deno's engine", "ws-bufferutil": "–" }
  : { ws: "ws on Deno", native: "native Deno", "ws-bufferutil": "ws + bufferutil on Deno" };

function table(): string {
  const others = ENGINES.filter((e) => e !== "native");
  const head = ["measure (median of runs)", ...ENGINES.map((e) => TITLES[e]), ...others.map((e) => `${e} / native`)];
  const rows = [`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`];
  for (const [metric, m] of figures) {
    const med = (e: Engine) => median(m.get(e) ?? []);
    const n = med("native");
    const runs = ENGINES.map((e) => m.get(e)?.length ?? 0).join("+");
    const ratio = (e: Engine) => Number.isFinite(med(e)) && Number.isFinite(n) && n !== 0 ? `${(med(e) / n).toFixed(2)}×` : "–";
    rows.push(`| ${metric} (${runs} runs) | ${ENGINES.map((e) => num(med(e))).join(" | ")} | ${others.map(ratio).join(" | ")} |`);
  }
  for (const [metric, m] of facts) {
    rows.push(`| ${metric} | ${ENGINES.map((e) => m.get(e) ?? "–").join(" | ")} | ${others.map(() => "").join(" | ")} |`);
  }
  return rows.join("\n");
}

const parts: Record<string, () => Promise<void>> = { cpu, idle, abuse };
if (what !== "all" && parts[what] === undefined) throw new Error(`unknown part ${what}: all, cpu, idle or abuse`);
if (FULLDUPLEX && what !== "cpu") throw new Error("WS_DENO_FULLDUPLEX=1 runs the cpu part only: ws_deno.ts cpu [rounds]");
if (!FULLDUPLEX) await engineFacts();
for (const [name, run] of Object.entries(parts)) if (what === "all" || what === name) await run();
const compared = FULLDUPLEX
  ? `fullduplex (bench/servers/fullduplex.ts echo) on its ws engine vs on Deno's engine`
  : `ws (npm) on Deno through node:http "upgrade" vs Deno.serve + Deno.upgradeWebSocket`;
console.log(`\n${compared}, ${ROUNDS} rounds, Deno ${Deno.version.deno}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log(table());
Deno.exit(0);
