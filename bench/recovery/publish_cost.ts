/**
 * Runs the publication-cost scenario (bench/recovery/scenarios.ts,
 * `history-publish`) for bench/runner.ts: one redis-server, every target's
 * two servers started once, then rounds of the cluster fan-out client
 * (bench/cluster/fanout_client.ts) in counted mode, the targets in
 * alternation. Each run publishes exactly `publications` (each delivered
 * to one subscriber on each server, every delivery checked); the servers'
 * CPU (/proc) and Redis's (INFO cpu, µs precision) are read around the
 * whole run, so a publication's cost is CPU / publications, with the
 * commands Redis ran for it (INFO commandstats). Every process this starts
 * is stopped on every path.
 *
 * @module
 */

import { cpuSeconds } from "../proc.ts";
import { runForResult } from "../processes.ts";
import type { FanoutResult, FanoutSpec } from "../cluster/fanout_client.ts";
import { startRedis } from "../cluster/redis_process.ts";
import type { RedisProcess } from "../cluster/redis_process.ts";
import { startCluster } from "../cluster/topology.ts";
import type { RunningCluster } from "../cluster/topology.ts";
import { commandsBetween, commandStats, redisCpuSeconds } from "./redis_stats.ts";
import type { CommandStats } from "./redis_stats.ts";
import type { PublishCostEntry, PublishCostScenario } from "./scenarios.ts";

/** One run of one target. */
export interface PublishCostRun {
  ok: boolean;
  error?: string;
  publications: number;
  /** Publications per second (the whole counted run). */
  rate: number;
  /** Both servers' CPU per publication, µs. */
  serverUs: number;
  /** Each server's CPU per publication, µs: the publisher's server first. */
  memberUs: number[];
  /** redis-server's CPU per publication, µs (INFO cpu). */
  redisUs: number;
  /** Redis commands per publication, by name: calls, and Redis's µs in them (INFO commandstats), per publication. */
  commands: Record<string, { calls: number; usec: number }>;
}

/** One target's runs. */
export interface PublishCostTargetResult {
  entry: PublishCostEntry;
  runs: PublishCostRun[];
  failure?: string;
}

/** The scenario's results. */
export interface PublishCostResult {
  scenario: PublishCostScenario;
  targets: PublishCostTargetResult[];
  failure?: string;
}

function failedRun(error: string): PublishCostRun {
  return { ok: false, error, publications: 0, rate: 0, serverUs: NaN, memberUs: [], redisUs: NaN, commands: {} };
}

function perPublication(stats: CommandStats, n: number): Record<string, { calls: number; usec: number }> {
  return Object.fromEntries(
    Object.entries(stats).filter(([name]) => name !== "info").map(([name, s]) => [name, { calls: s.calls / n, usec: s.usec / n }]),
  );
}

async function runOnce(scenario: PublishCostScenario, cluster: RunningCluster, redis: RedisProcess): Promise<PublishCostRun> {
  const spec: FanoutSpec = {
    driver: cluster.target.driver,
    subscriberUrls: cluster.urls,
    publisherUrl: cluster.urls[0],
    subscribers: scenario.subscribers,
    window: scenario.window,
    publications: scenario.publications,
    cpu: {},
  };
  try {
    const servers = () => cluster.pids.map(cpuSeconds);
    const stats0 = await commandStats(redis.port);
    const redis0 = await redisCpuSeconds(redis.port);
    const cpu0 = servers();
    const r = await runForResult<FanoutResult>("bun", "bench/cluster/fanout_client.ts", [JSON.stringify(spec)], 150_000);
    const cpu1 = servers();
    const redis1 = await redisCpuSeconds(redis.port);
    const stats1 = await commandStats(redis.port);
    if (!r.ok) return failedRun(r.error ?? "the fan-out client failed");
    const n = r.publications;
    return {
      ok: true,
      publications: n,
      rate: n / r.seconds,
      serverUs: cpu1.reduce((sum, c, i) => sum + c - cpu0[i], 0) * 1e6 / n,
      memberUs: cpu1.map((c, i) => ((c - cpu0[i]) * 1e6) / n),
      redisUs: ((redis1 - redis0) * 1e6) / n,
      commands: perPublication(commandsBetween(stats0, stats1), n),
    };
  } catch (err) {
    return failedRun(err instanceof Error ? err.message : String(err));
  }
}

function describe(r: PublishCostRun): string {
  if (!r.ok) return `FAILED: ${r.error}`;
  const cmds = Object.entries(r.commands).filter(([, c]) => c.calls >= 0.05).map(([name, c]) =>
    `${name} ${c.calls.toFixed(2)} ${c.usec.toFixed(1)} µs`
  )
    .join(", ");
  return `${Math.round(r.rate)} publications/s, servers ${r.serverUs.toFixed(1)} µs (${
    r.memberUs.map((x) => x.toFixed(1)).join(" + ")
  }), redis ${r.redisUs.toFixed(2)} µs per publication (${cmds})`;
}

/** Runs the scenario; never leaves a process running. */
export async function runPublishCost(scenario: PublishCostScenario, log: (line: string) => void): Promise<PublishCostResult> {
  log(`== ${scenario.title} (client: bun bench/cluster/fanout_client.ts, counted)`);
  const targets = scenario.entries.map((entry): PublishCostTargetResult => ({ entry, runs: [] }));
  const result: PublishCostResult = { scenario, targets };
  let redis: RedisProcess | undefined;
  const clusters = new Map<PublishCostTargetResult, RunningCluster>();
  try {
    redis = await startRedis();
    for (const t of targets) {
      try {
        clusters.set(t, await startCluster(t.entry.target, "fanout", redis.url));
      } catch (err) {
        t.failure = err instanceof Error ? err.message : String(err);
        log(`${t.entry.target.id}: ${t.failure}`);
      }
    }
    for (let round = 0; round < scenario.rounds; round++) {
      for (const [t, cluster] of clusters) {
        const run = await runOnce(scenario, cluster, redis);
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
      await cluster.stop();
    }
    await redis?.stop();
  }
  return result;
}

/** Everything that went wrong. */
export function publishCostProblems(r: PublishCostResult): string[] {
  const list: string[] = [];
  if (r.failure !== undefined) list.push(`${r.scenario.id}: ${r.failure}`);
  for (const t of r.targets) {
    const id = `${r.scenario.id}/${t.entry.target.id}`;
    if (t.failure !== undefined) list.push(`${id}: ${t.failure}`);
    else if (t.runs.length === 0) list.push(`${id}: no runs`);
    for (const [i, run] of t.runs.entries()) if (!run.ok) list.push(`${id} run ${i + 1}: ${run.error}`);
  }
  return list;
}
