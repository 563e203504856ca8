/**
 * Why does a raw Deno echo server's RSS peak near 300 MB on the 64 KiB echo
 * while at most ~26 MB is in flight (50 connections × 8 × 64 KiB)? Runs
 * deno_rss_server.ts under the benchmark's large-echo load in variants and
 * prints, per variant: peak RSS (VmHWM), peak V8 `external` memory (the
 * received messages' ArrayBuffers), peak heap, peak bytes queued to send
 * (sum of bufferedAmount), and echoes/s.
 *
 * Usage: `deno run -A bench/investigate/deno_rss.ts` (about 40 s).
 *
 * @module
 */

import type { LoadResult, LoadSpec } from "../loadgen.ts";
import { memoryBytes } from "../proc.ts";
import { ROOT } from "../targets.ts";

interface Variant {
  name: string;
  v8flags?: string;
  gcEveryMs?: number;
  detach?: boolean;
  env?: Record<string, string>;
  window?: number;
  /** Run bench/servers/fullduplex.ts (echo mode) instead of the raw instrumented server. */
  fullduplex?: boolean;
}

const VARIANTS: Variant[] = [
  { name: "raw Deno, defaults (window 8)" },
  { name: "window 1 (1/8 of the data in flight)", window: 1 },
  { name: "forced full GC every 100 ms", v8flags: "--expose-gc", gcEveryMs: 100 },
  { name: "MALLOC_ARENA_MAX=1 (one glibc arena)", env: { MALLOC_ARENA_MAX: "1" } },
  { name: "young generation capped: --max-semi-space-size=1 (MB)", v8flags: "--max-semi-space-size=1" },
  { name: "each received ArrayBuffer detached after the echo (transfer(0))", detach: true },
  { name: "fullduplex, defaults", fullduplex: true },
  { name: "fullduplex, releaseReceivedBuffers: true", fullduplex: true, env: { BENCH_RELEASE_BUFFERS: "1" } },
];

const bin = `${ROOT}node_modules/.bin/`;

async function run(v: Variant): Promise<string> {
  const server = v.fullduplex
    ? [`${ROOT}bench/servers/fullduplex.ts`, "echo"]
    : [`${ROOT}bench/investigate/deno_rss_server.ts`, String(v.gcEveryMs ?? 0), v.detach ? "detach" : "keep"];
  const args = ["run", "-A", "--no-check", ...(v.v8flags ? [`--v8-flags=${v.v8flags}`] : []), ...server];
  const child = new Deno.Command(`${bin}deno`, { args, stdout: "piped", stderr: "inherit", env: v.env ?? {} }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port = 0;
  const deadline = Date.now() + 15_000;
  while (port === 0 && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    port = Number(/READY (\d+)/.exec(text)?.[1] ?? 0);
  }
  const collect = (async () => {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      text += value;
    }
  })();
  const spec: LoadSpec = {
    mode: "echo",
    url: `ws://127.0.0.1:${port}`,
    serverPid: child.pid,
    connections: 50,
    size: 65536,
    binary: true,
    window: v.window ?? 8,
    warmupMs: 500,
    steadyMs: 4000,
  };
  const out = await new Deno.Command(`${bin}bun`, {
    args: ["run", `${ROOT}bench/loadgen.ts`, JSON.stringify(spec)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const line = new TextDecoder().decode(out.stdout).split("\n").find((l) => l.startsWith("RESULT "));
  const result = line ? (JSON.parse(line.slice(7)) as LoadResult) : undefined;
  await new Promise((r) => setTimeout(r, 600)); // one more STATS line
  const hwm = memoryBytes(child.pid, "VmHWM");
  child.kill("SIGKILL");
  await child.status;
  await collect.catch(() => {});
  const stats = [...text.matchAll(/STATS (.*)/g)].at(-1)?.[1];
  // fullduplex's server prints no STATS line: only RSS, rate and CPU there.
  const s = stats
    ? (JSON.parse(stats) as { buffered: number; external: number; heapUsed: number })
    : { buffered: NaN, external: NaN, heapUsed: NaN };
  const m = (b: number) => (Number.isNaN(b) ? "–" : (b / 1e6).toFixed(0));
  return `| ${v.name} | ${m(hwm)} | ${m(s.external)} | ${m(s.heapUsed)} | ${m(s.buffered)} | ${
    result?.ok ? Math.round(result.messagesPerSecond) : "failed"
  } | ${result?.ok ? result.cpuPer100k.toFixed(2) : "–"} |`;
}

console.log(
  "| Variant | peak RSS MB | peak V8 external MB | peak V8 heap used MB | peak queued to send (Σ bufferedAmount) MB | echoes/s | CPU s/100k |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const v of VARIANTS) console.log(await run(v));
