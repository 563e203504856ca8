/**
 * Renders the runner's results as bench/RESULTS.md: conditions first, then
 * the micro-benchmark, one table per scenario, the goals, and every run.
 *
 * @module
 */

import type { LoadResult } from "./loadgen.ts";
import type { MicroRow } from "./micro.ts";
import type { Scenario } from "./scenarios.ts";
import { fmt, mb, median, ratio } from "./stats.ts";
import type { Target } from "./targets.ts";
import type { ClusterScenarioResult } from "./cluster/runner.ts";
import { clusterGoals, clusterRuns, clusterSections } from "./cluster/report.ts";

/** One target's runs in one scenario. */
export interface TargetResult {
  target: Target;
  runs: LoadResult[];
  /** Peak RSS (VmHWM) in bytes: one per server process. */
  peakRss: number[];
  /** Why it did not run (not an error). */
  skipped?: string;
  failure?: string;
}

/** One scenario's results. */
export interface ScenarioResult {
  scenario: Scenario;
  targets: TargetResult[];
}

/** The micro-benchmark on one runtime. */
export interface MicroResult {
  runtime: string;
  rows: MicroRow[];
  engineNotes: string[];
  failure?: string;
}

/** Everything the report shows. */
export interface Report {
  info: Record<string, string>;
  micro: MicroResult[];
  results: ScenarioResult[];
  /** The cluster scenarios (bench/cluster/). */
  cluster: ClusterScenarioResult[];
  seconds: number;
  command: string;
  problems: string[];
}

/** Median of one figure over a target's successful runs. */
function med(t: TargetResult | undefined, pick: (r: LoadResult) => number | undefined): number {
  if (t === undefined) return NaN;
  return median(t.runs.filter((r) => r.ok).map((r) => pick(r) ?? NaN));
}

/** Median over rounds of (target's run i) / (baseline's run i): alternation pairs neighbouring runs. */
function pairedRatio(t: TargetResult | undefined, base: TargetResult | undefined, pick: (r: LoadResult) => number): number {
  if (t === undefined || base === undefined) return NaN;
  const n = Math.min(t.runs.length, base.runs.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) if (t.runs[i].ok && base.runs[i].ok) ratios.push(pick(t.runs[i]) / pick(base.runs[i]));
  return median(ratios);
}

function okRuns(t: TargetResult): number {
  return t.runs.filter((r) => r.ok).length;
}

function throughputTable(s: ScenarioResult): string[] {
  const byId = new Map(s.targets.map((t) => [t.target.id, t]));
  const lines = [
    `| Target | Runs | ${s.scenario.unit}/s | × raw | server CPU s / 100k ${s.scenario.unit} | × raw | p50 ms | p99 ms | server peak RSS MB | × raw |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const t of s.targets) {
    const name = `${t.target.id}${t.target.baseline === t.target.id ? " (floor)" : ""}`;
    if (t.skipped !== undefined) {
      lines.push(`| ${name} | – | ${t.skipped} | | | | | | | |`);
      continue;
    }
    const base = byId.get(t.target.baseline);
    const rate = med(t, (r) => r.messagesPerSecond);
    const cpu = med(t, (r) => r.cpuPer100k);
    const rss = median(t.peakRss);
    const vs = t.target.baseline === t.target.id ? "" : t.target.runtime === "node" ? " (vs raw-bun)" : "";
    lines.push(
      `| ${name} | ${okRuns(t)}${t.failure ? " ⚠" : ""} | ${fmt(rate)} | ${ratio(rate, med(base, (r) => r.messagesPerSecond))}${vs} | ${
        fmt(cpu)
      } | ${ratio(cpu, med(base, (r) => r.cpuPer100k))} | ${fmt(med(t, (r) => r.p50Ms))} | ${fmt(med(t, (r) => r.p99Ms))} | ${mb(rss)} | ${
        ratio(rss, median(base?.peakRss ?? []))
      } |`,
    );
  }
  return lines;
}

function idleTable(s: ScenarioResult): string[] {
  const byId = new Map(s.targets.map((t) => [t.target.id, t]));
  const lines = [
    `| Target | Runs | time to open all (s) | × raw | server RSS per connection (KiB) | × raw | server peak RSS MB | × raw |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const t of s.targets) {
    const base = byId.get(t.target.baseline);
    const open = med(t, (r) => (r.openMs ?? NaN) / 1000);
    const per = med(t, (r) => (r.bytesPerConnection ?? NaN) / 1024);
    const rss = median(t.peakRss);
    const name = `${t.target.id}${t.target.baseline === t.target.id ? " (floor)" : ""}`;
    lines.push(
      `| ${name} | ${okRuns(t)}${t.failure ? " ⚠" : ""} | ${fmt(open)} | ${ratio(open, med(base, (r) => (r.openMs ?? NaN) / 1000))} | ${
        fmt(per)
      } | ${ratio(per, med(base, (r) => (r.bytesPerConnection ?? NaN) / 1024))} | ${mb(rss)} | ${
        ratio(rss, median(base?.peakRss ?? []))
      } |`,
    );
  }
  return lines;
}

function verdict(pass: boolean | undefined): string {
  return pass === undefined ? "n/a" : pass ? "met" : "**missed**";
}

function goals(r: Report): string[] {
  const lines: string[] = ["| Goal | Measured | Verdict |", "|---|---|---|"];
  for (const m of r.micro) {
    for (const row of m.rows) {
      lines.push(
        `| micro, ${m.runtime}, ${row.name}: fullduplex adds ≤ 100 ns/message | ${fmt(row.overheadNs)} ns | ${
          verdict(row.overheadNs <= 100)
        } |`,
      );
    }
  }
  const find = (id: string) => r.results.find((s) => s.scenario.id === id);
  const t = (s: ScenarioResult | undefined, id: string) => s?.targets.find((x) => x.target.id === id);
  const cpu = (x: LoadResult) => x.cpuPer100k;
  for (const id of ["small", "large"]) {
    const s = find(id);
    for (const rt of ["deno", "bun"]) {
      const fd = t(s, `fullduplex-${rt}`);
      const raw = t(s, `raw-${rt}`);
      const paired = pairedRatio(fd, raw, cpu);
      const ofMedians = med(fd, cpu) / med(raw, cpu);
      lines.push(
        `| ${id} echo, ${rt}: server CPU per message within 5% of raw (${
          Math.min(fd?.runs.length ?? 0, raw?.runs.length ?? 0)
        } alternating runs) | ${fmt(paired)}× paired median (${fmt(ofMedians)}× of medians) | ${
          Number.isFinite(paired) ? verdict(paired <= 1.05) : "n/a"
        } |`,
      );
    }
  }
  const idle = find("idle");
  for (const rt of ["deno", "bun"]) {
    const per = (x: LoadResult) => x.bytesPerConnection ?? NaN;
    const q = med(t(idle, `fullduplex-${rt}`), per) / med(t(idle, `raw-${rt}`), per);
    lines.push(`| idle, ${rt}: memory per connection within 10% of raw | ${fmt(q)}× | ${Number.isFinite(q) ? verdict(q <= 1.1) : "n/a"} |`);
  }
  for (const id of ["small", "large", "json"]) {
    const s = find(id);
    for (const rt of ["deno", "bun"]) {
      const a = med(t(s, `fullduplex-${rt}`), cpu);
      const b = med(t(s, `crossws-${rt}`), cpu);
      lines.push(
        `| ${id}, ${rt}: fullduplex CPU per message ≤ crossws | ${fmt(a)} vs ${fmt(b)} s/100k (${fmt(a / b)}×) | ${
          Number.isFinite(a / b) ? verdict(a <= b) : "n/a"
        } |`,
      );
    }
  }
  const fan = find("fanout");
  const fdBun = t(fan, "fullduplex-bun");
  const fdDeno = t(fan, "fullduplex-deno");
  const rate = (x: LoadResult) => x.messagesPerSecond;
  if (fdBun?.skipped !== undefined || fdDeno?.skipped !== undefined) {
    lines.push(`| fan-out: Bun as fast as native publish; Deno within 20% of a hand loop | ${fdBun?.skipped ?? fdDeno?.skipped} | n/a |`);
  } else {
    const b = med(fdBun, rate) / med(t(fan, "raw-bun"), rate);
    const bc = med(fdBun, cpu) / med(t(fan, "raw-bun"), cpu);
    const d = med(fdDeno, cpu) / med(t(fan, "raw-deno"), cpu);
    lines.push(
      `| fan-out, bun: as fast as Bun's native publish | ${fmt(b)}× deliveries/s, ${fmt(bc)}× CPU per delivery | ${
        Number.isFinite(bc) ? verdict(bc <= 1.05 && b >= 0.95) : "n/a"
      } |`,
    );
    lines.push(
      `| fan-out, deno: within 20% of a hand loop | ${fmt(d)}× CPU per delivery | ${Number.isFinite(d) ? verdict(d <= 1.2) : "n/a"} |`,
    );
  }
  return lines;
}

function perRun(s: ScenarioResult): string[] {
  const lines: string[] = [];
  for (const t of s.targets) {
    if (t.skipped !== undefined || t.runs.length === 0) continue;
    const cells = t.runs.map((r) => {
      if (!r.ok) return `failed (${r.error})`;
      if (r.openMs !== undefined) return `${fmt(r.openMs / 1000)} s / ${fmt((r.bytesPerConnection ?? 0) / 1024)} KiB`;
      return `${fmt(r.cpuPer100k)} s @ ${fmt(r.messagesPerSecond)}/s`;
    });
    lines.push(`- ${t.target.id}: ${cells.join(" · ")}${t.failure ? ` (${t.failure})` : ""}`);
  }
  return lines;
}

/** The whole RESULTS.md. */
export function renderResults(r: Report): string {
  const i = r.info;
  const out: string[] = [
    "# fullduplex benchmark results",
    "",
    `Generated by \`${r.command}\` (bench/runner.ts) on ${new Date().toISOString().replace(/\.\d+Z$/, "Z")} in ${Math.round(r.seconds)} s.`,
    "",
    "## Conditions",
    "",
    ...(i.note ? [`**${i.note}**`, ""] : []),
    `- Machine: ${i.cpu}, ${i.cores} cores, ${i.memory}, ${i.kernel}. Client and server share the cores; loopback (127.0.0.1) only.`,
    `- Load average (1/5/15 min) at start: ${i.loadavg}; at end: ${i.loadavgEnd}. On a shared machine, anything above ~0 means other work competed with the run.`,
    `- Runtimes: ${i.deno}; ${i.bun}; ${i.node}. Peers: ${i.peers}. fullduplex ${i.fullduplex}.`,
    "- Every server runs its engine's defaults with compression off; fullduplex runs its defaults (1 MiB message limit checked, keep-alive on, handlers guarded).",
    "- Per scenario, one load generator (bench/loadgen.ts) on one runtime drives every target; targets alternate (A B C … A B C …) after a warm-up run each. Figures are medians over runs; × raw is the ratio to the raw engine on the same runtime (ws on Node: to raw Bun).",
    "- Server CPU is utime+stime of the server process alone (/proc/<pid>/stat) during the steady phase; latency is client-measured (send → reply, with the window's queueing); peak RSS is the server's VmHWM over the scenario.",
    "",
  ];
  if (r.problems.length > 0) out.push("**Problems during this run:**", "", ...r.problems.map((p) => `- ${p}`), "");

  out.push("## Micro-benchmark: per-message cost without a network", "");
  out.push(
    "Engine callback → adapter → core → handler → send, against the same job done by hand on the engine's callback, with a stub engine socket (bench/micro.ts). Median of 7 alternating batches.",
    "",
    "| Runtime | Case | by hand (ns/msg) | fullduplex (ns/msg) | overhead (ns/msg) |",
    "|---|---|---:|---:|---:|",
  );
  for (const m of r.micro) {
    if (m.failure !== undefined) out.push(`| ${m.runtime} | failed: ${m.failure} | | | |`);
    for (const row of m.rows) out.push(`| ${m.runtime} | ${row.name} | ${fmt(row.handNs)} | ${fmt(row.libNs)} | ${fmt(row.overheadNs)} |`);
  }
  const notes = r.micro.flatMap((m) => m.engineNotes.map((n) => `- ${m.runtime}: ${n}`));
  if (notes.length > 0) out.push("", ...notes);
  out.push("");

  for (const s of r.results) {
    out.push(`## ${s.scenario.title}`, "");
    out.push(`Load generator on ${s.scenario.client}: ${s.scenario.clientWhy}.`, "");
    out.push(...(s.scenario.load.mode === "idle" ? idleTable(s) : throughputTable(s)), "");
  }

  out.push(...clusterSections(r.cluster));

  out.push("## Goals (issue 8)", "", ...goals(r), "");
  if (r.cluster.length > 0) out.push("## Goals (issue 16)", "", ...clusterGoals(r.cluster), "");
  out.push(
    "## Every run",
    "",
    "Server CPU s/100k @ rate (idle: open time / RSS per connection; cluster: redis CPU, [connections per process]), in run order.",
    "",
  );
  for (const s of r.results) out.push(`### ${s.scenario.id}`, "", ...perRun(s), "");
  out.push(...clusterRuns(r.cluster));
  return out.join("\n");
}
