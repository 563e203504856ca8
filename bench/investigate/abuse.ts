/**
 * What an adversarial peer does to a server, measured (issue 12): the
 * server runs in its own process (tests/fixtures/abuse_server.ts, the demo
 * server.ts, or the raw engine), its RSS and CPU read from /proc; the
 * attacker is raw sockets on loopback in this process.
 *
 * Usage: `deno run -A bench/investigate/abuse.ts <scenario> [runtime] [root]`
 * where `root` is a checkout to measure (default: this one; for a "before"
 * figure, an export of an older commit with tests/fixtures/abuse_server.ts,
 * tests/fixtures/stuck_peer.ts and tests/helpers/stuck_peer.ts copied in).
 * Prints one `RESULT {json}` line per case. Scenarios: send-cost, stuck, echo-stuck,
 * cpu, flood, handshake, partial, linger, engine. bench/investigate/ABUSE.md
 * has the figures and the commands.
 *
 * @module
 */

import { closePayload, encodeFrame, rawConnect } from "../../tests/helpers/raw.ts";
import type { RawPeer } from "../../tests/helpers/raw.ts";
import { mib, spawnServer } from "../../tests/helpers/spawned.ts";
import type { SpawnedServer } from "../../tests/helpers/spawned.ts";
import { connect as tcpConnect } from "node:net";
import type { Socket as TcpSocket } from "node:net";

const [scenario = "stuck", runtimeArg = "both", rootArg] = Deno.args;
const ROOT = rootArg === undefined ? new URL("../../", import.meta.url).pathname : rootArg.endsWith("/") ? rootArg : rootArg + "/";
const runtimes: ("deno" | "bun")[] = runtimeArg === "both" ? ["deno", "bun"] : [runtimeArg as "deno" | "bun"];
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function result(r: Record<string, unknown>): void {
  console.log("RESULT " + JSON.stringify({ root: rootArg ?? "worktree", ...r }));
}

function fixture(runtime: "deno" | "bun", mode: "fullduplex" | "raw", options: Record<string, unknown> = {}): Promise<SpawnedServer> {
  return spawnServer(runtime, "tests/fixtures/abuse_server.ts", [mode, JSON.stringify(options)], ROOT);
}

/** Whether the measured checkout's demo server has the abuse limits (and their flags). */
const DEMO_HAS_LIMITS = Deno.readTextFileSync(`${ROOT}server.ts`).includes("--rate-limit");

function demo(runtime: "deno" | "bun", extra: string[] = []): Promise<SpawnedServer> {
  return spawnServer(runtime, "server.ts", ["--port", "0", "--host", "127.0.0.1", "--quiet", ...extra], ROOT);
}

/** Concatenated masked text frames. */
function frames(n: number, text: string): Uint8Array {
  const one = encodeFrame(0x1, new TextEncoder().encode(text));
  const out = new Uint8Array(one.length * n);
  for (let i = 0; i < n; i++) out.set(one, i * one.length);
  return out;
}

/** A well-behaved client doing an echo round trip every `everyMs`; returns the RTTs (ms). */
function prober(port: number, everyMs = 20): { stop(): Promise<number[]> } {
  const rtts: number[] = [];
  let running = true;
  const done = (async () => {
    const peer = await rawConnect(port);
    let i = 0;
    while (running) {
      const tag = `probe ${i++}`;
      const t0 = performance.now();
      peer.sendFrame(0x1, tag);
      try {
        await peer.waitFrame((f) => f.opcode === 0x1 && new TextDecoder().decode(f.payload).endsWith(tag), 30_000);
      } catch {
        rtts.push(30_000);
        break;
      }
      rtts.push(performance.now() - t0);
      peer.frames.length = 0;
      await delay(everyMs);
    }
    peer.destroy();
  })();
  return {
    async stop() {
      running = false;
      await done;
      return rtts;
    },
  };
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
}

/** A peer that reads nothing. */
async function stuck(port: number): Promise<RawPeer> {
  const p = await rawConnect(port, {}, "/", { answerPings: false, answerClose: false });
  p.pause();
  return p;
}

/** Asks the fixture to run a full GC. */
async function gc(server: SpawnedServer): Promise<void> {
  const p = await rawConnect(server.port);
  p.sendFrame(0x1, "gc");
  await p.waitFrame((f) => f.opcode === 0x1, 10_000);
  p.destroy();
}

async function settle(server: SpawnedServer, ms = 1000): Promise<number> {
  await delay(ms);
  return server.rss();
}

// ---- scenarios -----------------------------------------------------------------------------

/** Item 1: the server sends N messages of S bytes to a peer that never reads (fixture command). */
async function stuckScenario(runtime: "deno" | "bun"): Promise<void> {
  const cases: [number, number][] = [[1, 3_000_000], [7, 2_000_000], [1024, 100_000], [65536, 1_000]];
  for (const [size, n] of cases) {
    const server = await fixture(runtime, "fullduplex");
    try {
      const base = await settle(server, 500);
      const peer = await stuck(server.port);
      await delay(200);
      peer.sendFrame(0x1, `send ${n} ${size} text`);
      const line = await server.line(/SENT .*/, 1, 180_000);
      const after = await settle(server);
      const peak = server.peak();
      peer.destroy();
      const left = await settle(server, 2000);
      const [, sent, buffered, dropped] = line.split(" ").map(Number);
      result({ scenario: "stuck", runtime, size, sent, buffered, dropped, baseMiB: mib(base), growthMiB: mib(after - base), peakGrowthMiB: mib(peak - base), afterPeerLeftMiB: mib(left - base) });
    } finally {
      await server.stop();
    }
  }
}

/**
 * Item 1, the engine alone: what one queued send costs inside each engine
 * beyond its payload. The raw fixture (no limit) sends two rounds of N
 * messages of S bytes to a peer that never reads; the second round is all
 * queued (the kernel's buffers are full by then), so the RSS growth between
 * the rounds divided by the sends queued in between (from bufferedAmount)
 * is the cost per queued send.
 */
async function sendCostScenario(runtime: "deno" | "bun"): Promise<void> {
  const cases: [number, number][] = [[1, 1_500_000], [7, 500_000], [1024, 50_000], [65536, 1_000]];
  for (const [size, n] of cases) {
    const server = await fixture(runtime, "raw");
    try {
      const peer = await stuck(server.port);
      await delay(300);
      peer.sendFrame(0x1, `send ${n} ${size} text`);
      const first = await server.line(/SENT .*/, 1, 180_000);
      const rss1 = await settle(server);
      peer.sendFrame(0x1, `send ${n} ${size} text`);
      const second = await server.line(/SENT .*/, 2, 180_000);
      const rss2 = await settle(server);
      peer.destroy();
      const b1 = Number(first.split(" ")[2]);
      const b2 = Number(second.split(" ")[2]);
      // Bun's buffered amount counts frame headers too: per send, payload + 2, 4 or 10 bytes.
      const header = runtime === "bun" ? (size < 126 ? 2 : size < 65536 ? 4 : 10) : 0;
      const queued = (b2 - b1) / (size + header);
      result({ scenario: "send-cost", runtime, size, queuedInSecondRound: Math.round(queued), bytesPerQueuedSendBeyondPayload: Math.round((rss2 - rss1) / queued - size) });
    } finally {
      await server.stop();
    }
  }
}

/** Item 1 as found: 1-byte messages to the demo server ("Echo: x" = 7-byte replies), never reading. */
async function echoStuckScenario(runtime: "deno" | "bun"): Promise<void> {
  // With the demo's rate limit the flooder is closed after 200 messages: measure without it too.
  for (const extra of DEMO_HAS_LIMITS ? [[], ["--rate-limit", "0"]] : [[]]) await echoStuck(runtime, extra);
}

async function echoStuck(runtime: "deno" | "bun", extra: string[]): Promise<void> {
  const server = await demo(runtime, extra);
  try {
    const base = await settle(server, 500);
    const peer = await stuck(server.port);
    const N = 1_000_000;
    const batch = frames(50_000, "x");
    for (let i = 0; i < N / 50_000; i++) {
      peer.write(batch);
      await delay(20);
    }
    const t0 = Date.now();
    // Wait until the server has handled them all (its CPU goes quiet) or 120 s.
    let last = server.cpu();
    while (Date.now() - t0 < 120_000) {
      await delay(1000);
      const now = server.cpu();
      if (now - last < 0.05) break;
      last = now;
    }
    const after = server.rss();
    const peak = server.peak();
    peer.destroy();
    const left = await settle(server, 2000);
    result({ scenario: "echo-stuck", runtime, flags: extra.join(" ") || "(defaults)", messages: N, replyBytes: 7, baseMiB: mib(base), growthMiB: mib(after - base), peakGrowthMiB: mib(peak - base), afterPeerLeftMiB: mib(left - base) });
  } finally {
    await server.stop();
  }
}

/** Item 2: server CPU per echo on the demo server with --quiet: 64 KiB binary vs 32 B text. */
async function cpuScenario(runtime: "deno" | "bun"): Promise<void> {
  for (const kind of ["binary 64 KiB", "text 32 B"]) {
    // The demo's rate limit would close this client (it echoes as fast as it can).
    const server = await demo(runtime, DEMO_HAS_LIMITS ? ["--rate-limit", "0"] : []);
    try {
      const base = await settle(server, 500);
      const peer = await rawConnect(server.port);
      const payload = kind.startsWith("binary") ? new Uint8Array(65536).map((_, i) => i & 255) : "x".repeat(32);
      const N = kind.startsWith("binary") ? 2000 : 20000;
      // Warm up, then measure.
      const run = async (n: number) => {
        for (let i = 0; i < n; i++) {
          peer.frames.length = 0;
          peer.sendFrame(typeof payload === "string" ? 0x1 : 0x2, payload);
          await peer.waitFrame((f) => f.opcode === 0x1 || f.opcode === 0x2, 10_000);
        }
      };
      await run(200);
      const cpu0 = server.cpu();
      const t0 = performance.now();
      await run(N);
      const cpu = server.cpu() - cpu0;
      const wall = performance.now() - t0;
      const peak = server.peak();
      peer.destroy();
      result({ scenario: "cpu", runtime, kind, echoes: N, serverCpuMsPerEcho: Math.round((cpu / N) * 1e6) / 1000, wallMsPerEcho: Math.round((wall / N) * 1000) / 1000, peakGrowthMiB: mib(peak - base) });
    } finally {
      await server.stop();
    }
  }
}

/** Item 3: other clients' round trip while one peer floods tiny messages and never reads. */
async function floodScenario(runtime: "deno" | "bun"): Promise<void> {
  const variants: { name: string; start: () => Promise<SpawnedServer> }[] = [
    { name: "raw engine", start: () => fixture(runtime, "raw") },
    { name: "demo server (defaults of this checkout)", start: () => demo(runtime) },
    { name: "fullduplex, no rateLimit", start: () => fixture(runtime, "fullduplex") },
    { name: "rateLimit 100/s burst 200, drop", start: () => fixture(runtime, "fullduplex", { rateLimit: { messagesPerSecond: 100, burst: 200, action: "drop" } }) },
    { name: "rateLimit 100/s burst 200, close", start: () => fixture(runtime, "fullduplex", { rateLimit: { messagesPerSecond: 100, burst: 200, action: "close" } }) },
  ];
  for (const kind of ["burst 200k", "sustained 1M"]) {
    for (const v of variants) {
      let server: SpawnedServer;
      try {
        server = await v.start();
      } catch (err) {
        result({ scenario: "flood", runtime, kind, variant: v.name, error: String(err).split("\n")[0] });
        continue;
      }
      try {
        const base = await settle(server, 500);
        const probe = prober(server.port);
        await delay(500);
        const quiet = await probe.stop();
        const during = prober(server.port);
        await delay(100);
        const flooder = await stuck(server.port);
        const t0 = performance.now();
        if (kind === "burst 200k") flooder.write(frames(200_000, "x"));
        else {
          const batch = frames(20_000, "x");
          for (let i = 0; i < 50 && !flooder.isEnded(); i++) {
            flooder.write(batch);
            await delay(50);
          }
        }
        // Measure until the server is quiet again (or 20 s).
        let last = server.cpu();
        while (performance.now() - t0 < 20_000) {
          await delay(500);
          const now = server.cpu();
          if (now - last < 0.03) break;
          last = now;
        }
        const rtts = await during.stop();
        const peak = server.peak();
        const flooderClosed = flooder.isEnded() || flooder.frames.some((f) => f.opcode === 0x8);
        flooder.destroy();
        result({
          scenario: "flood",
          runtime,
          kind,
          variant: v.name,
          quietP99: pct(quiet, 99),
          p50: pct(rtts, 50),
          p99: pct(rtts, 99),
          max: pct(rtts, 100),
          samples: rtts.length,
          floodSeconds: Math.round((performance.now() - t0) / 100) / 10,
          peakGrowthMiB: mib(peak - base),
          flooderClosed,
        });
      } finally {
        await server.stop();
      }
    }
  }
}

/** Item 4: one address opening 2,000 connections, and upgrades as fast as it can. */
async function handshakeScenario(runtime: "deno" | "bun"): Promise<void> {
  for (const variant of ["demo server (defaults of this checkout)", "fixture, no limits"]) {
    const server = variant.startsWith("demo") ? await demo(runtime) : await fixture(runtime, "fullduplex");
    try {
      const base = await settle(server, 500);
      const peers: RawPeer[] = [];
      const statuses = new Map<number, number>();
      const t0 = performance.now();
      for (let i = 0; i < 2000; i += 50) {
        const batch = await Promise.all(Array.from({ length: 50 }, () => rawConnect(server.port).catch(() => undefined)));
        for (const p of batch) {
          if (p === undefined) continue;
          statuses.set(p.status, (statuses.get(p.status) ?? 0) + 1);
          if (p.status === 101) peers.push(p);
          else p.destroy();
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      const held = await settle(server);
      for (const p of peers) p.destroy();
      result({ scenario: "handshake", runtime, variant, attempts: 2000, statuses: Object.fromEntries(statuses), seconds: Math.round(seconds * 10) / 10, heldGrowthMiB: mib(held - base), kibPerHeldConnection: peers.length ? Math.round((held - base) / peers.length / 1024) : 0 });
    } finally {
      await server.stop();
    }
  }
}

/** Item 4: partial and empty HTTP connections (no header timeout on Deno.serve). */
async function partialScenario(runtime: "deno" | "bun"): Promise<void> {
  const server = await fixture(runtime, "fullduplex");
  try {
    const base = await settle(server, 500);
    const N = 500;
    const open = (bytes: string) =>
      new Promise<TcpSocket>((resolve, reject) => {
        const tcp = tcpConnect(server.port, "127.0.0.1", () => {
          if (bytes !== "") tcp.write(bytes);
          resolve(tcp);
        });
        tcp.on("error", reject);
      });
    const partial = await Promise.all(Array.from({ length: N }, () => open(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n`)));
    const empty = await Promise.all(Array.from({ length: N }, () => open("")));
    const closedAt = new Map<TcpSocket, number>();
    const t0 = Date.now();
    for (const s of [...partial, ...empty]) s.on("close", () => closedAt.set(s, Date.now() - t0));
    const held = await settle(server, 2000);
    const checkpoints: Record<string, number> = {};
    for (const at of [5, 10, 15, 30, 60]) {
      await delay(at * 1000 - (Date.now() - t0));
      checkpoints[`openAfter${at}s`] = [...partial, ...empty].filter((s) => !closedAt.has(s)).length;
    }
    for (const s of [...partial, ...empty]) s.destroy();
    const firstClose = Math.min(...closedAt.values());
    result({ scenario: "partial", runtime, connections: 2 * N, heldGrowthMiB: mib(held - base), kibPerConnection: Math.round((held - base) / (2 * N) / 1024), ...checkpoints, firstClosedAfterMs: Number.isFinite(firstClose) ? firstClose : null });
  } finally {
    await server.stop();
  }
}

/** Item 5: peers that fill their queue, go silent and never answer our close. */
async function lingerScenario(runtime: "deno" | "bun"): Promise<void> {
  for (const size of [65536, 7]) {
    const server = await fixture(runtime, "fullduplex", { idleTimeout: 2, closeTimeout: 1 });
    try {
      const base = await settle(server, 500);
      const N = 10;
      const peers: RawPeer[] = [];
      for (let i = 0; i < N; i++) {
        const p = await stuck(server.port);
        peers.push(p);
        p.sendFrame(0x1, size === 65536 ? "send 1000 65536 binary" : "send 2500000 7 text");
        await server.line(/SENT .*/, i + 1, 180_000);
      }
      await delay(6000); // idleTimeout 2 + closeTimeout 1, with room
      const stats = await server.stats();
      const held = server.rss();
      for (const p of peers) p.destroy();
      await delay(2000);
      const after = await server.stats();
      result({ scenario: "linger", runtime, size, peers: N, connections: stats.connections, lingering: stats.lingering ?? null, idleTimeouts: stats.idleTimeouts, closeTimeouts: stats.closeTimeouts, heldGrowthMiB: mib(held - base), mibPerPeer: Math.round((held - base) / N / 1048576 * 10) / 10, lingeringAfterPeersLeft: after.lingering ?? null, connectionsAfterPeersLeft: after.connections });
    } finally {
      await server.stop();
    }
  }
}

/** Item 6: engine limits (large messages before 1009; RSS after 2,000 dropped connections). */
async function engineScenario(runtime: "deno" | "bun"): Promise<void> {
  await engineMessages(runtime);
  await engineConnections(runtime);
}

async function engineMessages(runtime: "deno" | "bun"): Promise<void> {
  for (const kind of ["60 MiB frame", "48 MiB in 1 MiB fragments"]) {
    const server = await fixture(runtime, "fullduplex");
    try {
      const base = await settle(server, 500);
      const peer = await rawConnect(server.port);
      const MB = 1024 * 1024;
      let written = 0;
      const t0 = performance.now();
      let closedAtBytes = -1;
      const closeSeen = () => peer.isEnded() || peer.frames.some((f) => f.opcode === 0x8);
      if (kind === "60 MiB frame") {
        const total = 60 * MB;
        const header = new Uint8Array([0x82, 0x80 | 127, 0, 0, 0, 0, (total >>> 24) & 255, (total >>> 16) & 255, (total >>> 8) & 255, total & 255, 0, 0, 0, 0]);
        peer.write(header);
        const chunk = new Uint8Array(MB);
        for (let i = 0; i < 60 && !closeSeen(); i++) {
          peer.write(chunk); // mask key 0: the payload goes as is
          written += MB;
          await delay(5);
          if (closeSeen() && closedAtBytes < 0) closedAtBytes = written;
        }
      } else {
        const chunk = new Uint8Array(MB);
        for (let i = 0; i < 48 && !closeSeen(); i++) {
          peer.sendFrame(i === 0 ? 0x2 : 0x0, chunk, { fin: i === 47 });
          written += MB;
          await delay(5);
          if (closeSeen() && closedAtBytes < 0) closedAtBytes = written;
        }
      }
      const close = await peer.waitFrame((f) => f.opcode === 0x8, 20_000).catch(() => undefined);
      if (closedAtBytes < 0) closedAtBytes = written;
      const peak = server.peak();
      peer.destroy();
      result({ scenario: "engine", runtime, kind, maxMessageBytes: MB, closeCode: close ? (close.payload[0] << 8) | close.payload[1] : null, mibWrittenBeforeClose: Math.round(closedAtBytes / MB), ms: Math.round(performance.now() - t0), peakGrowthMiB: mib(peak - base) });
    } finally {
      await server.stop();
    }
  }
}

async function engineConnections(runtime: "deno" | "bun"): Promise<void> {
  const server = await fixture(runtime, "fullduplex");
  try {
    const base = await settle(server, 1000);
    const peers: RawPeer[] = [];
    for (let i = 0; i < 2000; i += 100) peers.push(...(await Promise.all(Array.from({ length: 100 }, () => rawConnect(server.port)))));
    const held = await settle(server);
    for (const p of peers) p.destroy();
    const after1 = await settle(server, 1000);
    const after10 = await settle(server, 9000);
    await gc(server);
    const afterGc = await settle(server, 1000);
    // Reused, not leaked? A second round of 2,000 connections.
    const again: RawPeer[] = [];
    for (let i = 0; i < 2000; i += 100) again.push(...(await Promise.all(Array.from({ length: 100 }, () => rawConnect(server.port)))));
    const heldAgain = await settle(server);
    for (const p of again) p.destroy();
    const afterAgain = await settle(server, 2000);
    result({
      scenario: "engine",
      runtime,
      kind: "2,000 connections opened then dropped",
      baseMiB: mib(base),
      heldGrowthMiB: mib(held - base),
      after1sGrowthMiB: mib(after1 - base),
      after10sGrowthMiB: mib(after10 - base),
      afterGcGrowthMiB: mib(afterGc - base),
      secondRoundHeldGrowthMiB: mib(heldAgain - base),
      afterSecondRoundGrowthMiB: mib(afterAgain - base),
    });
  } finally {
    await server.stop();
  }
}

const scenarios: Record<string, (runtime: "deno" | "bun") => Promise<void>> = {
  "send-cost": sendCostScenario,
  stuck: stuckScenario,
  "echo-stuck": echoStuckScenario,
  cpu: cpuScenario,
  flood: floodScenario,
  handshake: handshakeScenario,
  partial: partialScenario,
  linger: lingerScenario,
  engine: engineScenario,
  "engine-connections": engineConnections,
};
const run = scenarios[scenario];
if (run === undefined) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(scenarios).join(", ")}`);
for (const runtime of runtimes) await run(runtime);
void closePayload;
Deno.exit(0);
