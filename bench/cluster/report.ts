/**
 * The cluster scenarios' part of bench/RESULTS.md: a table per scenario
 * (ratios paired run by run with the scenario's baseline, as the runs
 * alternate), the goals of issue 16 with verdicts, and every run.
 *
 * @module
 */

import { fmt, mb, median } from "../stats.ts";
import type { ClusterRun, ClusterScenarioResult, ClusterTargetResult } from "./runner.ts";

/** The command that runs (and prints) only the cluster scenarios. */
export const CLUSTER_COMMAND = "bash bench/run.sh cluster";

function med(t: ClusterTargetResult | undefined, pick: (r: ClusterRun) => number): number {
  if (t === undefined) return NaN;
  return median(t.runs.filter((r) => r.ok).map(pick));
}

/** Median over rounds of (target's run i) / (baseline's run i): alternation makes neighbouring runs comparable. */
function paired(t: ClusterTargetResult | undefined, base: ClusterTargetResult | undefined, pick: (r: ClusterRun) => number): number {
  if (t === undefined || base === undefined) return NaN;
  const n = Math.min(t.runs.length, base.runs.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) if (t.runs[i].ok && base.runs[i].ok) ratios.push(pick(t.runs[i]) / pick(base.runs[i]));
  return median(ratios);
}

const times = (x: number) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×` : "–");
const rate = (r: ClusterRun) => r.rate;
const cpu = (r: ClusterRun) => r.serverCpuPer100k;

function byId(s: ClusterScenarioResult, id: string): ClusterTargetResult | undefined {
  return s.targets.find((t) => t.entry.target.id === id);
}

function processes(t: ClusterTargetResult): string {
  const target = t.entry.target;
  const where = target.sharedPort ? "one port (reusePort)" : target.members.length > 1 ? "own ports" : "";
  const broker = target.broker ? (target.server === "socketio" ? ", Redis adapter" : ", Redis broker") : "";
  return `${target.members.join(" + ")}${where === "" ? "" : `, ${where}`}${broker}`;
}

function table(s: ClusterScenarioResult): string[] {
  const u = s.scenario.unit;
  const lines = [
    `| Target | Processes | Runs | ${u}/s | × baseline | server CPU s / 100k ${u} | × baseline | redis CPU s / 100k | server cores | client cores | p50 ms | p99 ms | connections per process | server CPU per process | peak RSS MB per process |`,
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
  ];
  for (const t of s.targets) {
    const base = byId(s, t.entry.baseline);
    const isBase = t.entry.baseline === t.entry.target.id;
    const ok = t.runs.filter((r) => r.ok).length;
    const split = t.runs.find((r) => r.ok && r.split !== undefined)?.split;
    const shares = t.entry.target.members.map((_, i) => med(t, (r) => r.cpuShares?.[i] ?? NaN));
    lines.push(
      `| ${t.entry.target.id}${isBase ? " (baseline)" : ""} | ${processes(t)} | ${ok}${t.failure !== undefined ? " ⚠" : ""} | ${
        fmt(med(t, rate))
      } | ${isBase ? "1.00×" : times(paired(t, base, rate))} | ${fmt(med(t, cpu))} | ${isBase ? "1.00×" : times(paired(t, base, cpu))} | ${
        fmt(med(t, (r) => r.redisCpuPer100k))
      } | ${fmt(med(t, (r) => r.serverCores), 2)} | ${fmt(med(t, (r) => r.clientCores), 2)} | ${fmt(med(t, (r) => r.p50Ms))} | ${
        fmt(med(t, (r) => r.p99Ms))
      } | ${split === undefined ? (t.entry.target.members.length > 1 ? "even (round robin)" : "all") : split.join(" / ")} | ${
        shares.length > 1 && shares.every(Number.isFinite) ? shares.map((x) => `${Math.round(x * 100)}%`).join(" / ") : "–"
      } | ${t.peakRss.map(mb).join(" / ")} |`,
    );
  }
  return lines;
}

/** One section per cluster scenario. */
export function clusterSections(results: ClusterScenarioResult[]): string[] {
  const out: string[] = [];
  for (const s of results) {
    out.push(`## ${s.scenario.title}`, "");
    if (s.failure !== undefined) out.push(`**Failed:** ${s.failure}`, "");
    const load = s.scenario.client.load;
    const shape = "subscribers" in load
      ? `${load.window} publications outstanding, 32-byte text, every delivery checked (sequence numbers in order per subscriber, none lost)`
      : `${load.connections} connections, ${load.window} in flight each, every reply checked`;
    out.push(
      `Load generator: ${s.scenario.client.runtime} \`${s.scenario.client.script}\` in its own process (${s.scenario.clientWhy}); ${shape}. ` +
        `${s.scenario.rounds} alternating rounds after a warm-up run each; × baseline = median of the per-round ratios. ` +
        "Server CPU = utime+stime of every server process of the target, summed (/proc, steady phase); redis-server's CPU separately; " +
        `cores = CPU seconds per second of the steady phase. Reproduce: \`${CLUSTER_COMMAND}\` (or \`npm run bench\`).`,
      "",
      ...table(s),
      "",
    );
  }
  return out;
}

function verdict(pass: boolean | undefined): string {
  return pass === undefined ? "n/a" : pass ? "met" : "**missed**";
}

/** The goals of issue 16: across two processes, ≥ 3× socket.io's deliveries/s at ≤ 1/3 of its CPU per delivery. */
export function clusterGoals(results: ClusterScenarioResult[]): string[] {
  const lines = ["| Goal | Measured (paired medians) | Verdict |", "|---|---|---|"];
  const fan = results.find((s) => s.scenario.id === "cluster-fanout");
  if (fan !== undefined) {
    const sio = byId(fan, "socket.io node+node");
    const raw = byId(fan, "socket.io node+node, hand-written client");
    for (const id of ["fullduplex deno+bun", "fullduplex bun+bun"]) {
      const t = byId(fan, id);
      const r = paired(t, sio, rate);
      const c = paired(t, sio, cpu);
      const rr = paired(t, raw, rate);
      const cr = paired(t, raw, cpu);
      lines.push(
        `| ${id}: ≥ 3× socket.io's deliveries/s | ${times(r)} (${times(rr)} vs socket.io with the hand-written client) | ${
          Number.isFinite(r) ? verdict(r >= 3) : "n/a"
        } |`,
        `| ${id}: ≤ 1/3 of socket.io's server CPU per delivery | ${times(c)} (${times(cr)} vs the hand-written client run) | ${
          Number.isFinite(c) ? verdict(c <= 1 / 3) : "n/a"
        } |`,
      );
    }
  }
  for (const id of ["reuseport-echo", "reuseport-fanout"]) {
    const s = results.find((x) => x.scenario.id === id);
    if (s === undefined) continue;
    for (const rt of ["bun", "deno"]) {
      const two = byId(s, `${rt} ×2 reusePort`);
      const one = byId(s, `${rt} ×1 reusePort`);
      lines.push(
        `| ${id}, ${rt}: 2 processes vs 1 (no goal: what reusePort gives on 2 cores shared with the client) | ${
          times(paired(two, one, rate))
        } ${s.scenario.unit}/s, ${times(paired(two, one, cpu))} CPU per message | n/a |`,
      );
    }
  }
  return lines;
}

/** Every run, in run order. */
export function clusterRuns(results: ClusterScenarioResult[]): string[] {
  const out: string[] = [];
  for (const s of results) {
    out.push(`### ${s.scenario.id}`, "");
    for (const t of s.targets) {
      const cells = t.runs.map((r) =>
        r.ok
          ? `${fmt(r.serverCpuPer100k)} s @ ${fmt(r.rate)}/s${
            Number.isFinite(r.redisCpuPer100k) ? ` (redis ${fmt(r.redisCpuPer100k)} s)` : ""
          }${r.split !== undefined ? ` [${r.split.join("/")}]` : ""}`
          : `failed (${r.error})`
      );
      out.push(`- ${t.entry.target.id}: ${cells.join(" · ")}${t.failure !== undefined ? ` (${t.failure})` : ""}`);
    }
    out.push("");
  }
  return out;
}
