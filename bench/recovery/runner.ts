/**
 * Runs the recovery scenario (bench/recovery/scenarios.ts) for
 * bench/runner.ts: one redis-server; per run, the target's two server
 * processes started fresh, the load generator (bench/recovery/
 * recovery_client.ts, Bun) started with a pipe to its stdin; when it says
 * `KILL`, member 1 (every subscriber's server) is killed with SIGKILL,
 * started again on the same port after `downMs`, and the load generator is
 * told when (`LISTENING <killAt> <listenAt>`, Date.now() of the kill and of
 * the new process's READY line). Targets alternate round by round. Every
 * process this starts is stopped on every path.
 *
 * @module
 */

import { cpuSeconds } from "../proc.ts";
import { commandFor } from "../targets.ts";
import { startRedis } from "../cluster/redis_process.ts";
import type { RedisProcess } from "../cluster/redis_process.ts";
import { startCluster } from "../cluster/topology.ts";
import type { RunningCluster } from "../cluster/topology.ts";
import type { RecoverySpec } from "./recovery_client.ts";
import { commandsBetween, commandStats } from "./redis_stats.ts";
import type { CommandStats } from "./redis_stats.ts";
import type { RecoveryResult } from "./recovery_summary.ts";
import type { RecoveryEntry, RecoveryScenario } from "./scenarios.ts";

/** CPU seconds from the restarted server listening until every subscriber was live again (the runner reads them from /proc). */
export interface RecoveryCpu {
  seconds: number;
  restarted: number;
  other: number;
  redis: number;
  /** The commands Redis ran meanwhile (INFO commandstats). */
  commands: CommandStats;
}

/** One run: what the load generator found, and the CPU the recovery cost. */
export type RecoveryRun = RecoveryResult & { cpu?: RecoveryCpu };

/** One target's runs. */
export interface RecoveryTargetResult {
  entry: RecoveryEntry;
  runs: RecoveryRun[];
  failure?: string;
}

/** The scenario's results. */
export interface RecoveryScenarioResult {
  scenario: RecoveryScenario;
  targets: RecoveryTargetResult[];
  failure?: string;
}

const CLIENT = "bench/recovery/recovery_client.ts";

function failed(entry: RecoveryEntry, error: string): RecoveryResult {
  return { ok: false, error, library: entry.library } as RecoveryResult;
}

/** Reads lines from a stream, handing each to `onLine`; resolves at its end. */
async function eachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void | Promise<void>): Promise<void> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      await onLine(line);
    }
  }
  if (buffered !== "") await onLine(buffered);
}

/** One run against a started cluster: the load generator, the kill and the restart. */
async function runOnce(
  scenario: RecoveryScenario,
  entry: RecoveryEntry,
  cluster: RunningCluster,
  redis: RedisProcess,
): Promise<RecoveryRun> {
  const spec: RecoverySpec = {
    library: entry.library,
    subscriberUrl: cluster.urls[1],
    publisherUrl: cluster.urls[0],
    rate: entry.rate,
    ...scenario.load,
  };
  const [cmd, ...args] = commandFor("bun", CLIENT, [JSON.stringify(spec)]);
  const child = new Deno.Command(cmd, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(150_000),
  }).spawn();
  const writer = child.stdin.getWriter();
  let stderr = "";
  const stderrDone = eachLine(child.stderr, (line) => void (stderr = (stderr + line + "\n").slice(-2000)));
  let result: RecoveryResult | undefined;
  let restartError: string | undefined;
  const readCpu = () => ({
    at: performance.now(),
    restarted: cpuSeconds(cluster.pids[1]),
    other: cpuSeconds(cluster.pids[0]),
    redis: cpuSeconds(redis.pid),
  });
  let cpu0: ReturnType<typeof readCpu> | undefined;
  let stats0: CommandStats = {};
  let cpu: RecoveryCpu | undefined;
  const stdoutDone = eachLine(child.stdout, async (line) => {
    if (line === "KILL") {
      const killAt = Date.now();
      try {
        await cluster.restart(1, scenario.downMs, entry.signal);
        const listenAt = Date.now();
        cpu0 = readCpu();
        stats0 = await commandStats(redis.port); // a few ms: the load generator uses listenAt after the fact
        await writer.write(new TextEncoder().encode(`LISTENING ${killAt} ${listenAt}\n`));
      } catch (err) {
        restartError = `restarting the server failed: ${err instanceof Error ? err.message : err}`;
        await writer.write(new TextEncoder().encode(`ABORT ${restartError}\n`)).catch(() => {});
      }
    } else if (line === "LIVE" && cpu0 !== undefined) {
      const c = readCpu();
      const commands = commandsBetween(stats0, await commandStats(redis.port));
      cpu = {
        seconds: (c.at - cpu0.at) / 1000,
        restarted: c.restarted - cpu0.restarted,
        other: c.other - cpu0.other,
        redis: c.redis - cpu0.redis,
        commands,
      };
    } else if (line.startsWith("RESULT ")) {
      result = JSON.parse(line.slice("RESULT ".length)) as RecoveryResult;
    }
  });
  const status = await child.status;
  await Promise.all([stdoutDone, stderrDone]).catch(() => {});
  await writer.close().catch(() => {});
  if (restartError !== undefined) return failed(entry, restartError);
  if (result === undefined) {
    return failed(
      entry,
      `${CLIENT} printed no RESULT (exit ${status.code}${status.signal ? ", " + status.signal : ""}): ${stderr.trim().slice(-600)}`,
    );
  }
  return { ...result, cpu };
}

function describe(r: RecoveryRun): string {
  if (!r.ok) return `FAILED: ${r.error}`;
  const full = Number.isFinite(r.fullRecoveryMs) ? `${Math.round(r.fullRecoveryMs)} ms` : "never";
  return `down ${r.downMs} ms, to recover p50 ${r.toRecover.p50}, reconnect max ${Math.round(r.reconnectMs.max)} ms, ` +
    `full recovery ${full} (${r.recoveredWithin5s}/${r.subscribers} within 5 s), lost ${r.lost.total} (${r.lost.subscribers} subscribers, ` +
    `max ${r.lost.max}), duplicated ${r.duplicated.total}, out of order ${r.outOfOrder.total}` +
    (r.cpu === undefined
      ? ""
      : `; until live: ${r.cpu.seconds.toFixed(1)} s, cpu restarted ${r.cpu.restarted.toFixed(2)} s, other ${
        r.cpu.other.toFixed(2)
      } s, redis ${r.cpu.redis.toFixed(2)} s; redis ${
        Object.entries(r.cpu.commands).map(([k, v]) => `${k} ${v.calls} (${Math.round(v.usec / v.calls)} µs)`).join(", ")
      }`);
}

/** Runs the scenario; never leaves a process running. */
export async function runRecoveryScenario(scenario: RecoveryScenario, log: (line: string) => void): Promise<RecoveryScenarioResult> {
  log(`== ${scenario.title} (client: bun ${CLIENT})`);
  const targets = scenario.entries.map((entry): RecoveryTargetResult => ({ entry, runs: [] }));
  const result: RecoveryScenarioResult = { scenario, targets };
  let redis: RedisProcess | undefined;
  try {
    redis = await startRedis();
    for (let round = 0; round < scenario.rounds; round++) {
      for (const t of targets) {
        let cluster: RunningCluster | undefined;
        try {
          cluster = await startCluster(t.entry.target, "fanout", redis.url);
          const run = await runOnce(scenario, t.entry, cluster, redis);
          t.runs.push(run);
          log(`${t.entry.id} #${round + 1}: ${describe(run)}`);
          if (!run.ok) {
            const stderr = cluster.members.map((m) => m.stderr().trim()).filter((s) => s !== "");
            if (stderr.length > 0) t.failure ??= `server stderr: ${stderr.join(" | ").slice(-600)}`;
          }
        } catch (err) {
          t.failure = err instanceof Error ? err.message : String(err);
          log(`${t.entry.id}: ${t.failure}`);
        } finally {
          await cluster?.stop();
        }
      }
    }
  } catch (err) {
    result.failure = err instanceof Error ? err.message : String(err);
    log(`${scenario.id}: ${result.failure}`);
  } finally {
    await redis?.stop();
  }
  return result;
}

/** Everything that went wrong in the recovery scenario (a harness failure; losses are findings, reported in the tables). */
export function recoveryProblems(r: RecoveryScenarioResult): string[] {
  const list: string[] = [];
  if (r.failure !== undefined) list.push(`${r.scenario.id}: ${r.failure}`);
  for (const t of r.targets) {
    const id = `${r.scenario.id}/${t.entry.id}`;
    if (t.failure !== undefined) list.push(`${id}: ${t.failure}`);
    else if (t.runs.length === 0) list.push(`${id}: no runs`);
    for (const [i, run] of t.runs.entries()) {
      if (!run.ok) list.push(`${id} run ${i + 1}: ${run.error}`);
      else if (t.entry.exactlyOnce) {
        const wrong = [
          run.lost.total > 0 ? `${run.lost.total} lost (${run.lost.subscribers} subscribers)` : "",
          run.duplicated.total > 0 ? `${run.duplicated.total} duplicated (${run.duplicated.subscribers} subscribers)` : "",
          run.outOfOrder.total > 0 ? `${run.outOfOrder.total} out of order` : "",
          run.foreign > 0 ? `${run.foreign} foreign deliveries` : "",
          run.failed > 0 ? `${run.failed} publications the store refused` : "",
          !Number.isFinite(run.fullRecoveryMs) ? "not every subscriber recovered" : "",
          run.subscriptionErrors > 0 ? `${run.subscriptionErrors} subscriptions ended with an error` : "",
        ].filter((s) => s !== "");
        if (wrong.length > 0) list.push(`${id} run ${i + 1}: exactly once broken: ${wrong.join(", ")}`);
      }
    }
  }
  return list;
}
