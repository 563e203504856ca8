/**
 * The history and recovery scenarios' part of bench/RESULTS.md (issue 16,
 * parts 2 and 3): the fan-out with history (the cluster table, then what
 * storing costs at 1,000 subscribers), what one publication costs, the
 * server restart with recovering subscribers, the goals with verdicts, and
 * every run.
 *
 * @module
 */

import { fmt, median } from "../stats.ts";
import { CLUSTER_COMMAND, clusterRuns, clusterSections } from "../cluster/report.ts";
import type { ClusterRun, ClusterTargetResult } from "../cluster/runner.ts";
import type { PublishCostRun, PublishCostTargetResult } from "./publish_cost.ts";
import type { RecoveryRun, RecoveryTargetResult } from "./runner.ts";
import type { Spread } from "./recovery_summary.ts";
import type { RecoveryResults } from "./suite.ts";
import { FD_HISTORY, FD_PLAIN, SIO_STREAMS } from "./scenarios.ts";

/** The command that runs (and prints) only these scenarios. */
export const RECOVERY_COMMAND = "bash bench/run.sh recovery";

const n = (x: number) => x.toLocaleString("en-US");
const times = (x: number) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×` : "–");
const us = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : "–");

/** Median over rounds of a(run i) / b(run i) (the runs alternate, so neighbours compare). */
function paired<R extends { ok: boolean }>(a: R[] | undefined, b: R[] | undefined, pick: (r: R) => number): number {
  if (a === undefined || b === undefined) return NaN;
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i].ok && b[i].ok) ratios.push(pick(a[i]) / pick(b[i]));
  return median(ratios);
}

function med<R extends { ok: boolean }>(runs: R[] | undefined, pick: (r: R) => number): number {
  return median((runs ?? []).filter((r) => r.ok).map(pick));
}

function fanoutTarget(r: RecoveryResults, id: string): ClusterTargetResult | undefined {
  return r.fanout.targets.find((t) => t.entry.target.id === id);
}

function costTarget(r: RecoveryResults, id: string): PublishCostTargetResult | undefined {
  return r.publish?.targets.find((t) => t.entry.target.id === id);
}

/** At 1,000 subscribers: history vs no history, run by run; per publication = per delivery × subscribers. */
function storageAtFanout(r: RecoveryResults): string[] {
  const load = r.fanout.scenario.client.load;
  const subs = "subscribers" in load ? load.subscribers : NaN;
  const h = fanoutTarget(r, FD_HISTORY.id)?.runs;
  const p = fanoutTarget(r, FD_PLAIN.id)?.runs;
  const perPub = (x: ClusterRun) => x.serverCpuPer100k * subs * 10; // s per 100k deliveries → µs per publication
  const redisPerPub = (x: ClusterRun) => x.redisCpuPer100k * subs * 10;
  return [
    `What storing costs at ${
      subs.toLocaleString("en-US")
    } subscribers (same servers, same subscribers, history on vs off, paired by round):`,
    "",
    "| | history | no history | history / no history |",
    "|---|---:|---:|---:|",
    `| deliveries/s | ${fmt(med(h, (x) => x.rate))} | ${fmt(med(p, (x) => x.rate))} | ${times(paired(h, p, (x) => x.rate))} |`,
    `| servers' CPU per publication (µs; ${n(subs)} deliveries each) | ${us(med(h, perPub))} | ${us(med(p, perPub))} | ${
      times(paired(h, p, perPub))
    } |`,
    `| redis-server's CPU per publication (µs; /proc ticks: coarse here, see the next table) | ${us(med(h, redisPerPub))} | ${
      us(med(p, redisPerPub))
    } | ${times(paired(h, p, redisPerPub))} |`,
    "",
  ];
}

function commandList(run: PublishCostRun | undefined): string {
  if (run === undefined) return "–";
  return Object.entries(run.commands).filter(([, c]) => c.calls >= 0.05).sort((a, b) => b[1].usec - a[1].usec).map(([name, c]) =>
    `${name.toUpperCase()} ${c.calls.toFixed(c.calls >= 0.95 && c.calls <= 1.05 ? 0 : 2)} (${c.usec.toFixed(1)} µs)`
  ).join(", ");
}

function publishTable(r: RecoveryResults): string[] {
  const s = r.publish;
  if (s === undefined) return [];
  const out = [
    `## ${s.scenario.title}`,
    "",
    `Each run publishes exactly ${
      s.scenario.publications.toLocaleString("en-US")
    } publications, ${s.scenario.window} outstanding, each delivered to ` +
    `${s.scenario.subscribers} subscribers (one per server; every delivery checked), so that the publication, not its fan-out, is the work. ` +
    "Servers' CPU from /proc and redis-server's from `INFO cpu` (µs precision) around the whole run, divided by the publications; " +
    `Redis commands per publication from \`INFO commandstats\` (one run's). ${s.scenario.rounds} alternating rounds; × plain = median of the per-round ratios ` +
    `to the same library without storage. Reproduce: \`${RECOVERY_COMMAND}\` (or \`npm run bench\`).`,
    "",
    "| Target | Runs | publications/s | servers' CPU µs / publication (publisher's + other) | redis CPU µs / publication | total µs | total × plain | redis × plain | servers × plain | publications/s × plain | Redis commands per publication (Redis's µs in them; EVALSHA includes the commands its script calls) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  if (s.failure !== undefined) out.splice(2, 0, `**Failed:** ${s.failure}`, "");
  for (const t of s.targets) {
    const runs = t.runs;
    const plain = t.entry.plain === undefined ? undefined : costTarget(r, t.entry.plain)?.runs;
    const total = (x: PublishCostRun) => x.serverUs + x.redisUs;
    const ok = runs.filter((x) => x.ok).length;
    const ratio = (pick: (x: PublishCostRun) => number) => (plain === undefined ? "" : times(paired(runs, plain, pick)));
    out.push(
      `| ${t.entry.target.id} | ${ok}${t.failure !== undefined ? " ⚠" : ""} | ${fmt(med(runs, (x) => x.rate))} | ${
        us(med(runs, (x) => x.serverUs))
      } (${us(med(runs, (x) => x.memberUs[0]))} + ${us(med(runs, (x) => x.memberUs[1]))}) | ${us(med(runs, (x) => x.redisUs))} | ${
        us(med(runs, total))
      } | ${ratio(total)} | ${ratio((x) => x.redisUs)} | ${ratio((x) => x.serverUs)} | ${ratio((x) => x.rate)} | ${
        commandList(runs.find((x) => x.ok))
      } |`,
    );
  }
  out.push("");
  return out;
}

const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)}` : "never");
const range = (s: Spread | undefined) => (s === undefined ? "–" : `${ms(s.min)} / ${ms(s.p50)} / ${ms(s.max)}`);

function restartTable(r: RecoveryResults): string[] {
  const s = r.restart;
  const load = s.scenario.load;
  const out = [
    `## ${s.scenario.title}`,
    "",
    `${
      load.subscribers.toLocaleString("en-US")
    } subscribers, all on member 2 of a two-process cluster sharing one redis-server; the publisher on member 1, ` +
    "publishing a sequence number at a steady rate. After " +
    `${load.beforeMs} ms member 2 is killed (SIGKILL: a crash; SIGTERM: each library's graceful shutdown, fullduplex \`server.shutdown({ code: 1012 })\`, ` +
    `socket.io \`io.close()\`), started again on the same port ${s.scenario.downMs} ms after it exited, and the clients reconnect with the same backoff ` +
    `(${load.backoff.minDelay} ms first, at most ${load.backoff.maxDelay} ms). Every delivery of every subscriber is counted: lost = never received, ` +
    "duplicated = received twice, out of order = after a later one. Time to full recovery = from the restarted server's READY line (listening) until " +
    "the last subscriber had every publication sent before that moment; never = some subscriber never got them. fullduplex: `connect(url, " +
    "{ channels: true, reconnect })`, `subscribe(topic, { recover: true })`, a Redis Streams history (size 10,000) and `publishWithAck`; " +
    "socket.io 4: `@socket.io/redis-streams-adapter` (stream MAXLEN ~10,000), `connectionStateRecovery: {}`, socket.io-client with websocket transport. " +
    "All the clients live in one Bun process on the same 2 cores (their own work is in the times). " +
    `Reproduce: \`${RECOVERY_COMMAND}\` (or \`npm run bench\`).`,
    "",
    "| Target, event, rate | kill → listening ms | to get back per subscriber (p50) | reconnect ms after listening (min / p50 / max) | recovered ms after listening (min / p50 / max) | time to full recovery | recovered within 5 s | lost: total (subscribers; per subscriber min / p50 / max) | duplicated (subscribers) | out of order | (re)subscribes that said recovered / not | restarted server's CPU s until all live | redis CPU s | Redis commands until all live |",
    "|---|---:|---:|---|---|---:|---:|---|---:|---:|---|---:|---:|---|",
  ];
  if (s.failure !== undefined) out.splice(2, 0, `**Failed:** ${s.failure}`, "");
  for (const t of s.targets) {
    for (const run of t.runs) out.push(restartRow(t, run));
    if (t.runs.length === 0) out.push(`| ${t.entry.id} | failed: ${t.failure ?? "no runs"} | | | | | | | | | | | | |`);
  }
  out.push("");
  return out;
}

function restartRow(t: RecoveryTargetResult, x: RecoveryRun): string {
  if (!x.ok) return `| ${t.entry.id} | failed: ${x.error} | | | | | | | | | | | | |`;
  const notRecovered = Object.entries(x.recoveryEvents.notRecovered).map(([why, k]) => `${n(k)} (${why})`).join(", ") || "0";
  const commands = x.cpu === undefined
    ? "–"
    : Object.entries(x.cpu.commands).filter(([name]) => name !== "info").sort((a, b) => b[1].calls - a[1].calls).slice(0, 6).map((
      [name, c],
    ) => `${name.toUpperCase()} ${c.calls} (${Math.round(c.usec / c.calls)} µs)`).join(", ");
  return `| ${t.entry.id} | ${x.downMs} | ${x.toRecover.p50} | ${range(x.reconnectMs)} | ${range(x.recoveryMs)} | ${
    Number.isFinite(x.fullRecoveryMs) ? `**${ms(x.fullRecoveryMs)} ms**` : "**never**"
  } | ${n(x.recoveredWithin5s)} / ${x.subscribers.toLocaleString("en-US")} | **${n(x.lost.total)}** (${
    n(x.lost.subscribers)
  }; ${x.lost.min} / ${x.lost.p50} / ${x.lost.max}) | ${n(x.duplicated.total)} (${n(x.duplicated.subscribers)}) | ${
    n(x.outOfOrder.total)
  } | ${n(x.recoveryEvents.recovered)} / ${notRecovered} | ${x.cpu === undefined ? "–" : x.cpu.restarted.toFixed(2)} | ${
    x.cpu === undefined ? "–" : x.cpu.redis.toFixed(2)
  } | ${commands} |`;
}

/** The sections, after the cluster ones. */
export function recoverySections(r: RecoveryResults): string[] {
  // The cluster table's text names the cluster command: these scenarios have their own.
  const fanout = clusterSections([r.fanout]).map((line) => line.replace(`\`${CLUSTER_COMMAND}\``, `\`${RECOVERY_COMMAND}\``));
  return [...fanout, ...storageAtFanout(r), ...publishTable(r), ...restartTable(r)];
}

function verdict(pass: boolean): string {
  return pass ? "met" : "**missed**";
}

/** The goals of issue 16, parts 2 and 3, and the side-by-side ratios with socket.io. */
export function recoveryGoals(r: RecoveryResults): string[] {
  const lines = ["| Goal | Measured (paired medians) | Verdict |", "|---|---|---|"];
  const h = costTarget(r, FD_HISTORY.id)?.runs;
  const p = costTarget(r, FD_PLAIN.id)?.runs;
  if (h !== undefined && p !== undefined) {
    const total = paired(h, p, (x) => x.serverUs + x.redisUs);
    lines.push(
      `| the Redis Streams store costs at most 2× plain pub/sub per publication (servers + redis-server CPU) | ${
        times(total)
      } (redis-server alone ${times(paired(h, p, (x) => x.redisUs))}, the servers alone ${
        times(paired(h, p, (x) => x.serverUs))
      }; publications/s ${times(paired(h, p, (x) => x.rate))}) | ${Number.isFinite(total) ? verdict(total <= 2) : "n/a"} |`,
    );
  }
  for (const t of r.restart.targets.filter((x) => x.entry.exactlyOnce)) {
    for (const x of t.runs) {
      if (!x.ok) continue;
      const pass = x.recoveredWithin5s === x.subscribers && x.lost.total === 0 && x.duplicated.total === 0;
      lines.push(
        `| ${t.entry.id}: all ${
          x.subscribers.toLocaleString("en-US")
        } subscribers recovered within 5 s of the restarted server listening, ` +
          `nothing lost | ${n(x.recoveredWithin5s)} within 5 s, full recovery ${
            ms(x.fullRecoveryMs)
          } ms, lost ${x.lost.total}, duplicated ${x.duplicated.total} | ${verdict(pass)} |`,
      );
    }
  }
  const fh = fanoutTarget(r, FD_HISTORY.id)?.runs;
  const fs = fanoutTarget(r, SIO_STREAMS.id)?.runs;
  if (fh !== undefined && fs !== undefined) {
    lines.push(
      `| fan-out with history, fullduplex vs socket.io streams adapter (no goal set) | ${
        times(paired(fh, fs, (x) => x.rate))
      } deliveries/s, ${times(paired(fh, fs, (x) => x.serverCpuPer100k))} server CPU per delivery | n/a |`,
    );
  }
  return lines;
}

function restartRuns(r: RecoveryResults): string[] {
  const out = [`### ${r.restart.scenario.id}`, ""];
  for (const t of r.restart.targets) {
    const cells = t.runs.map((x) =>
      x.ok
        ? `${x.published} published, full recovery ${
          Number.isFinite(x.fullRecoveryMs) ? `${ms(x.fullRecoveryMs)} ms` : "never"
        }, lost ${x.lost.total}, duplicated ${x.duplicated.total}, ` +
          `out of order ${x.outOfOrder.total}, behind at the end ${x.behindAtEnd}, client CPU ${x.clientCpuSeconds.toFixed(2)} s`
        : `failed (${x.error})`
    );
    out.push(`- ${t.entry.id}: ${cells.join(" · ")}${t.failure !== undefined ? ` (${t.failure})` : ""}`);
  }
  out.push("");
  if (r.publish !== undefined) {
    out.push(`### ${r.publish.scenario.id}`, "");
    for (const t of r.publish.targets) {
      const cells = t.runs.map((x) => x.ok ? `${us(x.serverUs)} + ${us(x.redisUs)} µs @ ${fmt(x.rate)}/s` : `failed (${x.error})`);
      out.push(`- ${t.entry.target.id}: ${cells.join(" · ")}${t.failure !== undefined ? ` (${t.failure})` : ""}`);
    }
    out.push("");
  }
  return out;
}

/** Every run, in run order. */
export function recoveryRuns(r: RecoveryResults): string[] {
  return [...clusterRuns([r.fanout]), ...restartRuns(r)];
}
