/**
 * What one run of the recovery scenario found, from every subscriber's
 * deliveries (bench/recovery/delivery_log.ts): per subscriber, what it had
 * to get back after the kill, when it was back, and exactly how many
 * publications it lost, got twice or out of order; then the run's figures
 * (time to full recovery = from the restarted server listening until the
 * last subscriber had every publication sent before that moment).
 *
 * @module
 */

import type { DeliveryLog } from "./delivery_log.ts";
import type { RecoveringSubscriber } from "./recovery_links.ts";
import type { RecoverySpec } from "./recovery_client.ts";

/** Smallest, median and largest of a per-subscriber count or time. */
export interface Spread {
  min: number;
  p50: number;
  p90: number;
  max: number;
  /** Sum over subscribers (counts). */
  total: number;
  /** Subscribers with a value above 0 (counts) or a finite value (times). */
  subscribers: number;
}

/** One run's findings. */
export interface RecoveryResult {
  ok: boolean;
  /** Why the run failed (a harness problem: nothing was measured), not a loss (losses are counted below). */
  error?: string;
  library: string;
  subscribers: number;
  rate: number;
  /** Publications sent, and those the server confirmed stored (fullduplex; NaN for socket.io). */
  published: number;
  acked: number;
  /** Publications the store refused (never delivered to anyone; not counted as lost). */
  failed: number;
  /** From the kill to the restarted server's READY line, ms. */
  downMs: number;
  /** Publications sent before the restarted server listened: what every subscriber must have once recovered. */
  sentBeforeListening: number;
  /** Per subscriber: publications sent before listening that it received only after the kill, or never (what it had to get back). */
  toRecover: Spread;
  /** Per subscriber: ms from listening to its reconnect. */
  reconnectMs: Spread;
  /** Per subscriber: ms from listening until it had every publication sent before listening (NaN: never). */
  recoveryMs: Spread;
  /** Per subscriber: ms from listening to its first publication sent after listening (live again). */
  liveMs: Spread;
  /** The largest recoveryMs when every subscriber recovered fully; NaN otherwise. */
  fullRecoveryMs: number;
  /** Subscribers with every publication sent before listening within 5 s of it. */
  recoveredWithin5s: number;
  /** Per subscriber, over every publication sent: never received / received more than once / after a later one. */
  lost: Spread;
  duplicated: Spread;
  outOfOrder: Spread;
  /** Deliveries that were no publication of this run. */
  foreign: number;
  /** Subscribers still waiting for a publication at the end (the last ones included). */
  behindAtEnd: number;
  /** What the (re)subscribes said: recovered, not recovered (by reason). */
  recoveryEvents: { recovered: number; notRecovered: Record<string, number> };
  /** Subscriptions that ended with an error. */
  subscriptionErrors: number;
  /** This load generator's CPU seconds from the kill to the end (all 1,000 clients live in it). */
  clientCpuSeconds: number;
}

function spread(values: number[]): Spread {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  const at = (q: number) => (finite.length === 0 ? NaN : finite[Math.min(finite.length - 1, Math.floor(q * finite.length))]);
  return {
    min: finite.length === 0 ? NaN : finite[0],
    p50: at(0.5),
    p90: at(0.9),
    max: finite.length === 0 ? NaN : finite[finite.length - 1],
    total: finite.reduce((a, b) => a + b, 0),
    subscribers: values.filter((v) => Number.isFinite(v) && v !== 0).length,
  };
}

/** Everything summarize needs from the run. */
export interface RunRecord {
  spec: RecoverySpec;
  subs: RecoveringSubscriber[];
  logs: DeliveryLog[];
  sentAt: Float64Array;
  sent: number;
  acked: number;
  failed: number[];
  publisherLost: string | undefined;
  killAt: number;
  listenAt: number;
  clientCpuSeconds: number;
}

/** The run's findings; `ok` is false only when the harness could not measure (losses are findings, not failures). */
export function summarize(r: RunRecord): RecoveryResult {
  const { logs, sentAt, sent, listenAt, killAt } = r;
  let before = 0;
  while (before < sent && sentAt[before] < listenAt) before++;
  const failed = new Set(r.failed);
  const lostOf = (log: DeliveryLog) => log.lost(sent) - [...failed].filter((seq) => seq < sent).length;
  const recoveryMs = logs.map((log) => {
    const at = log.completeAt(0, before);
    return Number.isNaN(at) ? NaN : Math.max(0, at - listenAt);
  });
  const events = { recovered: 0, notRecovered: {} as Record<string, number> };
  for (const s of r.subs) {
    for (const e of s.recoveries) {
      if (e.recovered) events.recovered++;
      else events.notRecovered[e.reason ?? "not recovered"] = (events.notRecovered[e.reason ?? "not recovered"] ?? 0) + 1;
    }
  }
  const allRecovered = recoveryMs.every(Number.isFinite);
  const error = r.publisherLost ?? (before === sent ? "no publication was sent after the restarted server listened" : undefined);
  return {
    ok: error === undefined,
    error,
    library: r.spec.library,
    subscribers: logs.length,
    rate: r.spec.rate,
    published: sent,
    acked: r.acked,
    failed: failed.size,
    downMs: listenAt - killAt,
    sentBeforeListening: before,
    toRecover: spread(logs.map((log) => log.arrivedSince(0, before, killAt) + log.lost(before))),
    reconnectMs: spread(r.subs.map((s) => {
      const first = s.reopenedAt.find((t) => t >= killAt);
      return first === undefined ? NaN : first - listenAt;
    })),
    recoveryMs: spread(recoveryMs),
    liveMs: spread(logs.map((log) => log.liveAgainAt(sentAt, sent, listenAt) - listenAt)),
    fullRecoveryMs: allRecovered ? Math.max(...recoveryMs) : NaN,
    recoveredWithin5s: recoveryMs.filter((ms) => ms <= 5000).length,
    lost: spread(logs.map(lostOf)),
    duplicated: spread(logs.map((log) => log.duplicated())),
    outOfOrder: spread(logs.map((log) => log.outOfOrder)),
    foreign: logs.reduce((n, log) => n + log.foreign, 0),
    behindAtEnd: logs.filter((log) => log.highest < sent - 1).length,
    recoveryEvents: events,
    subscriptionErrors: r.subs.reduce((n, s) => n + s.errors.length, 0),
    clientCpuSeconds: r.clientCpuSeconds,
  };
}
