/**
 * The history and recovery scenarios of issue 16 (parts 2 and 3), in the
 * order bench/runner.ts runs them after the cluster scenarios: the fan-out
 * with history (the cluster runner), what a publication costs (full run
 * only) and the server restart with recovering subscribers.
 *
 * @module
 */

import { runClusterScenario } from "../cluster/runner.ts";
import type { ClusterScenarioResult } from "../cluster/runner.ts";
import { clusterProblems } from "../cluster/runner.ts";
import { publishCostProblems, runPublishCost } from "./publish_cost.ts";
import type { PublishCostResult } from "./publish_cost.ts";
import { recoveryProblems, runRecoveryScenario } from "./runner.ts";
import type { RecoveryScenarioResult } from "./runner.ts";
import { historyFanoutScenario, publishCostScenario, recoveryScenario } from "./scenarios.ts";

/** Everything the recovery scenarios measured. */
export interface RecoveryResults {
  fanout: ClusterScenarioResult;
  /** Absent in quick mode. */
  publish?: PublishCostResult;
  restart: RecoveryScenarioResult;
}

/** Runs them all; never leaves a process running. */
export async function runRecoverySuite(quick: boolean, log: (line: string) => void): Promise<RecoveryResults> {
  const fanout = await runClusterScenario(historyFanoutScenario(quick), log);
  const publish = quick ? undefined : await runPublishCost(publishCostScenario(), log);
  const restart = await runRecoveryScenario(recoveryScenario(quick), log);
  return { fanout, publish, restart };
}

/** Everything that went wrong (fullduplex losing or repeating a publication included). */
export function recoverySuiteProblems(r: RecoveryResults): string[] {
  return [
    ...clusterProblems([r.fanout]),
    ...(r.publish === undefined ? [] : publishCostProblems(r.publish)),
    ...recoveryProblems(r.restart),
  ];
}

/** One line per target for bench:quick. */
export function recoveryQuickLines(r: RecoveryResults): string[] {
  const lines = r.fanout.targets.map((t) =>
    `${r.fanout.scenario.id}/${t.entry.target.id}: ${
      t.failure === undefined && t.runs.length > 0 && t.runs.every((x) => x.ok)
        ? `ok (${t.runs.reduce((n, x) => n + x.messages, 0)} deliveries checked)`
        : "FAILED"
    }`
  );
  for (const t of r.restart.targets) {
    const problems = recoveryProblems({ ...r.restart, targets: [t], failure: undefined });
    const counts = t.runs.map((x) =>
      x.ok
        ? `${x.subscribers} subscribers × ${x.published} publications checked: lost ${x.lost.total}, duplicated ${x.duplicated.total}, ` +
          `out of order ${x.outOfOrder.total}, ${x.recoveredWithin5s} recovered within 5 s`
        : `failed: ${x.error}`
    );
    lines.push(
      `${r.restart.scenario.id}/${t.entry.id}: ${problems.length === 0 && t.runs.length > 0 ? "ok" : "FAILED"} (${counts.join("; ")})`,
    );
  }
  return lines;
}
