/**
 * The benchmark runner (run with Deno): for each scenario it starts every
 * target's server, warms each up, then runs the targets in alternation
 * (A B C … A B C …) so slow drifts of a shared machine hit all alike, and
 * collects medians. Writes bench/RESULTS.md (`npm run bench`), or with
 * `quick` only checks that every target ran and answered correctly and
 * exits non-zero otherwise (`npm run bench:quick`, run by CI).
 *
 * The cluster scenarios (bench/cluster/: two servers sharing a redis-server,
 * socket.io for comparison, reusePort) run after the single-process ones;
 * `cluster` runs only them and prints their tables instead of writing
 * RESULTS.md.
 *
 * Usage: `deno run -A bench/runner.ts [quick|cluster]`. Env: BENCH_NOTE = a line
 * about the conditions for RESULTS.md (e.g. "quiet machine"); BENCH_ROUNDS = rounds
 * of the floor and fullduplex targets in the small and large echo (default 5;
 * 9 takes about 14 minutes).
 *
 * @module
 */

import type { LoadResult, LoadSpec } from "./loadgen.ts";
import type { MicroRow } from "./micro.ts";
import { firstLine, runForResult, startServer, stopServer } from "./processes.ts";
import type { RunningServer } from "./processes.ts";
import { renderResults } from "./report.ts";
import type { MicroResult, ScenarioResult, TargetResult } from "./report.ts";
import { scenarios } from "./scenarios.ts";
import type { Scenario } from "./scenarios.ts";
import { ROOT, TARGETS } from "./targets.ts";
import { clusterScenarios } from "./cluster/scenarios.ts";
import { clusterProblems, runClusterScenario } from "./cluster/runner.ts";
import type { ClusterScenarioResult } from "./cluster/runner.ts";
import { clusterGoals, clusterSections } from "./cluster/report.ts";

const quick = Deno.args.includes("quick");
const clusterOnly = Deno.args.includes("cluster");
const roundsEnv = Deno.env.get("BENCH_ROUNDS");
const started = performance.now();

function log(line: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  console.error(`[${s}s] ${line}`);
}

/** Runs the load generator against one server. A failure becomes a result with `ok: false`. */
async function load(scenario: Scenario, server: RunningServer, overrides: Partial<LoadSpec> = {}): Promise<LoadResult> {
  const spec: LoadSpec = { ...scenario.load, ...overrides, url: `ws://127.0.0.1:${server.port}`, serverPid: server.pid };
  try {
    return await runForResult<LoadResult>(scenario.client, "bench/loadgen.ts", [JSON.stringify(spec)], 150_000);
  } catch (err) {
    return {
      ok: false,
      error: err instanceof Error ? err.message : String(err),
      messages: 0,
      seconds: 0,
      messagesPerSecond: 0,
      serverCpuSeconds: 0,
      cpuPer100k: NaN,
      p50Ms: NaN,
      p99Ms: NaN,
      mismatches: 0,
    };
  }
}

function describe(r: LoadResult): string {
  if (!r.ok) return `FAILED: ${r.error}`;
  if (r.openMs !== undefined) return `open ${r.openMs.toFixed(0)} ms, ${((r.bytesPerConnection ?? 0) / 1024).toFixed(1)} KiB/conn`;
  return `${Math.round(r.messagesPerSecond)} msg/s, cpu ${r.cpuPer100k.toFixed(3)} s/100k, p50 ${r.p50Ms.toFixed(2)} ms`;
}

async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  log(`== ${scenario.title} (client: ${scenario.client})`);
  const results = new Map<string, TargetResult>(TARGETS.map((t) => [t.id, { target: t, runs: [], peakRss: [] }]));
  const rounds = (id: string) => (TARGETS.find((t) => t.id === id)!.headline ? scenario.headlineRounds : scenario.peerRounds);
  const maxRounds = Math.max(scenario.headlineRounds, scenario.peerRounds);

  if (scenario.freshServerPerRun) {
    for (let round = 0; round < maxRounds; round++) {
      for (const target of TARGETS) {
        if (round >= rounds(target.id)) continue;
        const result = results.get(target.id)!;
        let server: RunningServer;
        try {
          server = await startServer(target, scenario.serverMode);
        } catch (err) {
          result.failure = err instanceof Error ? err.message : String(err);
          continue;
        }
        const run = await load(scenario, server);
        result.peakRss.push(await stopServer(server));
        result.runs.push(run);
        log(`${target.id} #${round + 1}: ${describe(run)}`);
      }
    }
    return { scenario, targets: [...results.values()] };
  }

  // One server per target for the whole scenario: warm-up, then alternating rounds.
  const servers = new Map<string, RunningServer>();
  for (const target of TARGETS) {
    try {
      const server = await startServer(target, scenario.serverMode);
      if (server.unavailable !== undefined) {
        results.get(target.id)!.skipped = server.unavailable;
        log(`${target.id}: skipped, ${server.unavailable}`);
        await stopServer(server);
      } else servers.set(target.id, server);
    } catch (err) {
      results.get(target.id)!.failure = err instanceof Error ? err.message : String(err);
      log(`${target.id}: ${results.get(target.id)!.failure}`);
    }
  }
  try {
    if (!quick) {
      for (const [id, server] of servers) {
        const warm = await load(scenario, server, { steadyMs: 500, warmupMs: 300 });
        log(`${id} warm-up: ${describe(warm)}`);
        if (!warm.ok) results.get(id)!.failure = `warm-up failed: ${warm.error}`;
      }
    }
    for (let round = 0; round < maxRounds; round++) {
      for (const [id, server] of servers) {
        if (round >= rounds(id)) continue;
        const run = await load(scenario, server);
        results.get(id)!.runs.push(run);
        log(`${id} #${round + 1}: ${describe(run)}`);
      }
    }
  } finally {
    for (const [id, server] of servers) {
      const peak = await stopServer(server);
      results.get(id)!.peakRss.push(peak);
    }
  }
  return { scenario, targets: [...results.values()] };
}

async function runMicro(): Promise<MicroResult[]> {
  const out: MicroResult[] = [];
  for (const runtime of ["deno", "bun"] as const) {
    log(`== micro-benchmark on ${runtime}`);
    try {
      const r = await runForResult<{ runtime: string; rows: MicroRow[]; engineNotes?: string[] }>(
        runtime,
        "bench/micro.ts",
        quick ? ["quick"] : [],
        120_000,
      );
      for (const row of r.rows) {
        log(
          `${runtime} ${row.name}: hand ${row.handNs.toFixed(1)} ns, fullduplex ${row.libNs.toFixed(1)} ns${row.ok ? "" : " WRONG OUTPUT"}`,
        );
      }
      out.push({ runtime, rows: r.rows, engineNotes: r.engineNotes ?? [] });
    } catch (err) {
      out.push({ runtime, rows: [], engineNotes: [], failure: err instanceof Error ? err.message : String(err) });
      log(`${runtime} micro FAILED: ${out.at(-1)!.failure}`);
    }
  }
  return out;
}

/** Everything that went wrong: targets that failed a run, or never ran. */
function problems(micro: MicroResult[], results: ScenarioResult[]): string[] {
  const list: string[] = [];
  for (const m of micro) {
    if (m.failure !== undefined) list.push(`micro on ${m.runtime}: ${m.failure}`);
    for (const row of m.rows) {
      if (!row.ok) list.push(`micro on ${m.runtime}, ${row.name}: the library path did not deliver what the hand path did`);
    }
  }
  for (const s of results) {
    for (const t of s.targets) {
      if (t.skipped !== undefined) continue;
      if (t.failure !== undefined) list.push(`${s.scenario.id}/${t.target.id}: ${t.failure}`);
      else if (t.runs.length === 0) list.push(`${s.scenario.id}/${t.target.id}: no runs`);
      for (const [i, r] of t.runs.entries()) if (!r.ok) list.push(`${s.scenario.id}/${t.target.id} run ${i + 1}: ${r.error}`);
    }
  }
  return list;
}

async function machine(): Promise<Record<string, string>> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  const bin = `${ROOT}node_modules/.bin/`;
  const pkg = (name: string) => JSON.parse(Deno.readTextFileSync(`${ROOT}node_modules/${name}/package.json`)).version as string;
  const commit = await firstLine("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]);
  const dirty = (await firstLine("git", ["-C", ROOT, "status", "--porcelain", "--", "src", "mod.ts"])) !== "unknown";
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
    cores: String(navigator.hardwareConcurrency),
    memory: `${Math.round(Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0) / 1024 / 1024)} GiB`,
    kernel: await firstLine("uname", ["-sr"]),
    deno: await firstLine(`${bin}deno`, ["--version"]),
    bun: `bun ${await firstLine(`${bin}bun`, ["--version"])}`,
    node: `node ${await firstLine("node", ["--version"])}`,
    peers: `crossws ${pkg("crossws")}, ws ${pkg("ws")} (no bufferutil)`,
    fullduplex: `${JSON.parse(Deno.readTextFileSync(`${ROOT}package.json`)).version} @ ${commit}${
      dirty ? " (with uncommitted changes in src/)" : ""
    }`,
    loadavg: (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" "),
    note: Deno.env.get("BENCH_NOTE") ?? "",
  };
}

/** The command as typed, with the environment variables that shaped the run. */
function commandLine(): string {
  const env = [
    roundsEnv !== undefined ? `BENCH_ROUNDS=${roundsEnv}` : "",
    Deno.env.get("BENCH_NOTE") !== undefined ? `BENCH_NOTE=${JSON.stringify(Deno.env.get("BENCH_NOTE"))}` : "",
  ];
  return [...env.filter((e) => e !== ""), "npm run bench"].join(" ");
}

async function runCluster(): Promise<ClusterScenarioResult[]> {
  const out: ClusterScenarioResult[] = [];
  for (const scenario of clusterScenarios(quick)) out.push(await runClusterScenario(scenario, log));
  return out;
}

async function main(): Promise<void> {
  if (clusterOnly) {
    const cluster = await runCluster();
    const found = clusterProblems(cluster);
    console.log([...clusterSections(cluster), "## Goals (issue 16)", "", ...clusterGoals(cluster), ""].join("\n"));
    if (found.length > 0) console.log(`Problems (${found.length}):\n- ${found.join("\n- ")}`);
    log(`cluster scenarios done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    if (found.length > 0) Deno.exit(1);
    return;
  }
  const info = await machine();
  const selected = scenarios({ quick, headlineRounds: roundsEnv !== undefined ? Number(roundsEnv) : undefined });
  const micro = await runMicro();
  const results: ScenarioResult[] = [];
  for (const scenario of selected) results.push(await runScenario(scenario));
  const cluster = await runCluster();
  const found = [...problems(micro, results), ...clusterProblems(cluster)];
  const seconds = (performance.now() - started) / 1000;
  info.loadavgEnd = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  if (quick) {
    const ran = results.flatMap((s) =>
      s.targets.map((t) =>
        `${s.scenario.id}/${t.target.id}: ${
          t.skipped !== undefined ? "skipped (" + t.skipped + ")" : t.runs.every((r) => r.ok) && t.runs.length > 0 ? "ok" : "FAILED"
        }`
      )
    );
    const ranCluster = cluster.flatMap((s) =>
      s.targets.map((t) =>
        `${s.scenario.id}/${t.entry.target.id}: ${
          t.failure === undefined && t.runs.length > 0 && t.runs.every((r) => r.ok)
            ? `ok (${t.runs.reduce((n, r) => n + r.messages, 0)} ${s.scenario.unit} checked)`
            : "FAILED"
        }`
      )
    );
    console.log([...ran, ...ranCluster].join("\n"));
    console.log(
      `micro: ${micro.map((m) => `${m.runtime} ${m.failure === undefined && m.rows.every((r) => r.ok) ? "ok" : "FAILED"}`).join(", ")}`,
    );
    if (found.length > 0) {
      console.log(`bench:quick FAILED (${found.length}):\n- ${found.join("\n- ")}`);
      Deno.exit(1);
    }
    console.log(`bench:quick ok: every target ran and answered correctly (${seconds.toFixed(0)} s)`);
    return;
  }
  const markdown = renderResults({ info, micro, results, cluster, seconds, command: commandLine(), problems: found });
  await Deno.writeTextFile(`${ROOT}bench/RESULTS.md`, markdown);
  log(`wrote bench/RESULTS.md in ${seconds.toFixed(0)} s${found.length > 0 ? ` with ${found.length} problem(s)` : ""}`);
  if (found.length > 0) Deno.exit(1);
}

await main();
