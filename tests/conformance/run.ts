/**
 * Runs every conformance case on the runtime running this file and prints
 * one JSON document: `{ runtime, version, results: [{ id, observation }] }`.
 * scripts/conformance.ts spawns it on Deno and on Bun.
 *
 * Usage: `deno run -A tests/conformance/run.ts` or `bun run tests/conformance/run.ts`
 * (optionally followed by case ids to run only those).
 */

import process from "node:process";
import { detectRuntime } from "../../src/shared/runtime.ts";
import { CASES, runCase } from "./cases.ts";
import type { Observation } from "./cases.ts";

/** What one runtime's run produced. */
export interface RunReport {
  runtime: string;
  version: string;
  results: { id: string; observation: Observation | null; error?: string }[];
}

function runtimeVersion(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  return g.Deno?.version.deno ?? g.Bun?.version ?? "unknown";
}

if (import.meta.main) {
  const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const report: RunReport = { runtime: detectRuntime(), version: runtimeVersion(), results: [] };
  for (const c of CASES) {
    if (only.length > 0 && !only.includes(c.id)) continue;
    try {
      report.results.push({ id: c.id, observation: await runCase(c) });
    } catch (err) {
      report.results.push({ id: c.id, observation: null, error: err instanceof Error ? err.message : String(err) });
    }
  }
  process.stdout.write(JSON.stringify(report) + "\n");
  process.exit(0);
}
