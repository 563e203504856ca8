/**
 * Runs the cluster scenarios (bench/cluster/scenarios.ts) for bench/runner.ts:
 * per scenario one redis-server, every target's processes started, a
 * warm-up run each, then the targets in alternation (A B C … A B C …).
 * Every process this starts is stopped on every path (`finally`).
 *
 * @module
 */

import type { LoadResult, LoadSpec } from "../loadgen.ts";
import { runForResult } from "../processes.ts";
import type { FanoutResult, FanoutSpec } from "./fanout_client.ts";
import { startRedis } from "./redis_process.ts";
import type { RedisProcess } from "./redis_process.ts";
import type { ClusterEntry, ClusterScenario } from "./scenarios.ts";
import { connectionsByPid } from "./sockets.ts";
import { startCluster } from "./topology.ts";
import type { RunningCluster } from "./topology.ts";

/** One run of one target, whichever load generator ran it. */
export interface ClusterRun {
  ok: boolean;
  error?: string;
  /** Messages (deliveries, echoes) per second as the client saw them. */
  rate: number;
  /** Server CPU seconds (every member summed) per 100,000 messages. */
  serverCpuPer100k: number;
  /** redis-server CPU seconds per 100,000 messages (NaN without Redis). */
  redisCpuPer100k: number;
  /** The load generator's own CPU, in cores (CPU seconds / second); NaN when it does not report it. */
  clientCores: number;
  /** The members' CPU in cores during the steady phase (all members summed). */
  serverCores: number;
  p50Ms: number;
  p99Ms: number;
  /** Messages checked (counted mode: every delivery). */
  messages: number;
  /** Connections per member (reusePort targets), in member order. */
  split?: number[];
  /** Each member's share of the servers' CPU (fan-out scenarios), in member order. */
  cpuShares?: number[];
}

/** One target's runs. */
export interface ClusterTargetResult {
  entry: ClusterEntry;
  runs: ClusterRun[];
  /** Peak RSS per member, bytes. */
  peakRss: number[];
  failure?: string;
}

/** One scenario's results. */
export interface ClusterScenarioResult {
  scenario: ClusterScenario;
  targets: ClusterTargetResult[];
  failure?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function failedRun(error: string): ClusterRun {
  return {
    ok: false,
    error,
    rate: 0,
    serverCpuPer100k: NaN,
    redisCpuPer100k: NaN,
    clientCores: NaN,
    serverCores: NaN,
    p50Ms: NaN,
    p99Ms: NaN,
    messages: 0,
  };
}

function fromFanout(r: FanoutResult, cluster: RunningCluster): ClusterRun {
  const members = cluster.pids.map((_, i) => r.cpuSeconds[`member${i}`] ?? NaN);
  const servers = members.reduce((a, b) => a + b, 0);
  const per100k = (s: number | undefined) => (s === undefined || r.deliveries === 0 ? NaN : (s * 100_000) / r.deliveries);
  const cores = (s: number | undefined) => (s === undefined || r.seconds === 0 ? NaN : s / r.seconds);
  return {
    ok: r.ok,
    error: r.error,
    rate: r.deliveriesPerSecond,
    serverCpuPer100k: per100k(servers),
    redisCpuPer100k: per100k(r.cpuSeconds.redis),
    clientCores: cores(r.cpuSeconds.client),
    serverCores: cores(servers),
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    messages: r.deliveries,
    split: r.connectionsByPid === undefined ? undefined : cluster.pids.map((pid) => r.connectionsByPid![String(pid)] ?? 0),
    cpuShares: members.length > 1 && servers > 0 ? members.map((m) => m / servers) : undefined,
  };
}

function fromEcho(r: LoadResult, split: number[] | undefined): ClusterRun {
  return {
    ok: r.ok,
    error: r.error,
    rate: r.messagesPerSecond,
    serverCpuPer100k: r.cpuPer100k,
    redisCpuPer100k: NaN,
    clientCores: NaN,
    serverCores: r.seconds > 0 ? r.serverCpuSeconds / r.seconds : NaN,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    messages: r.messages,
    split,
  };
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * Where the kernel put the connections of a reusePort target: polls `ss`
 * (every 100 ms, a few ms of CPU each) until all `expected` are counted,
 * which happens in the warm-up, or the run ends, or 5 s have passed. The
 * best count seen.
 */
async function countWhile(port: number, expected: number, run: Promise<unknown>): Promise<Record<string, number>> {
  let finished = false;
  run.then(() => (finished = true), () => (finished = true));
  let best: Record<string, number> = {};
  const end = Date.now() + 5000; // the warm-up is shorter; never poll through the whole steady phase
  while (!finished && total(best) < expected && Date.now() < end) {
    const now = connectionsByPid(port);
    if (total(now) > total(best)) best = now;
    await sleep(100);
  }
  return best;
}

/** One run of the scenario's load generator against a started target. */
async function runOnce(
  scenario: ClusterScenario,
  cluster: RunningCluster,
  redis: RedisProcess | undefined,
  short: boolean,
): Promise<ClusterRun> {
  const target = cluster.target;
  try {
    if (scenario.client.script === "bench/cluster/fanout_client.ts") {
      const load = { ...scenario.client.load, ...(short ? { warmupMs: 300, steadyMs: 500 } : {}) };
      const spec: FanoutSpec = {
        ...load,
        driver: target.driver,
        subscriberUrls: cluster.urls,
        publisherUrl: cluster.urls[0],
        // Each member its own group (member0, member1, …): the table shows who spent the CPU.
        cpu: {
          ...Object.fromEntries(cluster.pids.map((pid, i) => [`member${i}`, [pid]])),
          ...(redis !== undefined && target.broker ? { redis: [redis.pid] } : {}),
        },
        countConnectionsOn: target.sharedPort ? cluster.members[0].port : undefined,
      };
      const r = await runForResult<FanoutResult>("bun", scenario.client.script, [JSON.stringify(spec)], 150_000);
      return fromFanout(r, cluster);
    }
    const load = { ...scenario.client.load, ...(short ? { warmupMs: 300, steadyMs: 500 } : {}) };
    const spec: LoadSpec = { ...load, url: cluster.urls[0], serverPid: cluster.pids[0], serverPids: cluster.pids };
    const running = runForResult<LoadResult>(scenario.client.runtime, scenario.client.script, [JSON.stringify(spec)], 150_000);
    const byPid = target.sharedPort ? await countWhile(cluster.members[0].port, load.connections, running) : undefined;
    const r = await running;
    return fromEcho(r, byPid === undefined ? undefined : cluster.pids.map((pid) => byPid[String(pid)] ?? 0));
  } catch (err) {
    return failedRun(err instanceof Error ? err.message : String(err));
  }
}

function describe(r: ClusterRun): string {
  if (!r.ok) return `FAILED: ${r.error}`;
  const split = r.split === undefined ? "" : `, split ${r.split.join("/")}`;
  const redis = Number.isFinite(r.redisCpuPer100k) ? `, redis ${r.redisCpuPer100k.toFixed(3)}` : "";
  return `${Math.round(r.rate)}/s, server cpu ${r.serverCpuPer100k.toFixed(3)} s/100k${redis}, p50 ${r.p50Ms.toFixed(2)} ms${split}`;
}

/** Runs one scenario; never leaves a process running. */
export async function runClusterScenario(scenario: ClusterScenario, log: (line: string) => void): Promise<ClusterScenarioResult> {
  log(`== ${scenario.title} (client: ${scenario.client.runtime} ${scenario.client.script})`);
  const targets = scenario.entries.map((entry): ClusterTargetResult => ({ entry, runs: [], peakRss: [] }));
  const result: ClusterScenarioResult = { scenario, targets };
  let redis: RedisProcess | undefined;
  const clusters = new Map<ClusterTargetResult, RunningCluster>();
  try {
    if (scenario.entries.some((e) => e.target.broker)) redis = await startRedis();
    for (const t of targets) {
      try {
        clusters.set(t, await startCluster(t.entry.target, scenario.mode, redis?.url));
      } catch (err) {
        t.failure = err instanceof Error ? err.message : String(err);
        log(`${t.entry.target.id}: ${t.failure}`);
      }
    }
    if (scenario.warmup) {
      for (const [t, cluster] of clusters) {
        const warm = await runOnce(scenario, cluster, redis, true);
        log(`${t.entry.target.id} warm-up: ${describe(warm)}`);
        if (!warm.ok) t.failure = `warm-up failed: ${warm.error}`;
      }
    }
    for (let round = 0; round < scenario.rounds; round++) {
      for (const [t, cluster] of clusters) {
        const run = await runOnce(scenario, cluster, redis, false);
        t.runs.push(run);
        log(`${t.entry.target.id} #${round + 1}: ${describe(run)}`);
      }
    }
  } catch (err) {
    result.failure = err instanceof Error ? err.message : String(err);
    log(`${scenario.id}: ${result.failure}`);
  } finally {
    for (const [t, cluster] of clusters) {
      const stderr = cluster.members.map((m) => m.stderr().trim()).filter((s) => s !== "");
      if (stderr.length > 0 && t.runs.some((r) => !r.ok)) t.failure ??= `server stderr: ${stderr.join(" | ").slice(-600)}`;
      t.peakRss = await cluster.stop();
    }
    await redis?.stop();
  }
  return result;
}

/** Everything that went wrong in the cluster scenarios. */
export function clusterProblems(results: ClusterScenarioResult[]): string[] {
  const list: string[] = [];
  for (const s of results) {
    if (s.failure !== undefined) list.push(`${s.scenario.id}: ${s.failure}`);
    for (const t of s.targets) {
      const id = `${s.scenario.id}/${t.entry.target.id}`;
      if (t.failure !== undefined) list.push(`${id}: ${t.failure}`);
      else if (t.runs.length === 0) list.push(`${id}: no runs`);
      for (const [i, r] of t.runs.entries()) if (!r.ok) list.push(`${id} run ${i + 1}: ${r.error}`);
    }
  }
  return list;
}
