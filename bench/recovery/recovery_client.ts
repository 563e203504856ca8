/**
 * The load generator of the recovery scenario (run on Bun by
 * bench/recovery/runner.ts): `subscribers` subscribers of one library on
 * the server that will be killed, one publisher on the server that stays,
 * publications at a steady `rate` (each a sequence number), and a line
 * protocol with the runner, which owns the servers:
 *
 * 1. every subscriber subscribed, `beforeMs` of publications: prints `KILL`;
 * 2. the runner kills the subscribers' server (SIGKILL), starts it again on
 *    the same port and writes `LISTENING <killAt> <listenAt>` (Date.now()
 *    of the kill and of the new process's READY line) to stdin;
 * 3. publications go on until every subscriber is live again (it received
 *    a publication sent after `listenAt`; a replay always comes before the
 *    live ones), at most `recoverWithinMs`: prints `LIVE`; then `afterMs`
 *    more; then the last ones are waited for (at most 3 s);
 * 4. every subscriber's deliveries are checked (bench/recovery/
 *    delivery_log.ts) and one line `RESULT {json}` is printed.
 *
 * Usage: `bun run bench/recovery/recovery_client.ts '<RecoverySpec JSON>'`.
 *
 * @module
 */

import process from "node:process";
import { createInterface } from "node:readline";
import { cpuSeconds } from "../proc.ts";
import { DeliveryLog } from "./delivery_log.ts";
import { openPublisher, openSubscriber } from "./recovery_links.ts";
import type { Backoff, Library, Publisher, RecoveringSubscriber } from "./recovery_links.ts";
import { summarize } from "./recovery_summary.ts";
import type { RecoveryResult } from "./recovery_summary.ts";

/** What to run. */
export interface RecoverySpec {
  library: Library;
  /** The server that is killed and restarted: every subscriber connects here. */
  subscriberUrl: string;
  /** The server that stays up: the publisher connects here. */
  publisherUrl: string;
  subscribers: number;
  /** Publications per second. */
  rate: number;
  beforeMs: number;
  afterMs: number;
  /** How long after `listenAt` every subscriber may take to be live again before the run gives up waiting. */
  recoverWithinMs: number;
  backoff: Backoff;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function openAll(spec: RecoverySpec): Promise<RecoveringSubscriber[]> {
  const subs: RecoveringSubscriber[] = [];
  let next = 0;
  const worker = async () => {
    while (next < spec.subscribers) {
      next++;
      subs.push(await openSubscriber(spec.library, spec.subscriberUrl, spec.backoff, 20_000));
    }
  };
  const workers = Array.from({ length: Math.min(50, spec.subscribers) }, worker);
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(subs.map((s) => s.close()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return subs;
}

/** Resolves with the runner's `LISTENING` line's two times; rejects after `timeoutMs`. */
function listening(timeoutMs: number): Promise<{ killAt: number; listenAt: number }> {
  const lines = createInterface({ input: process.stdin });
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new Promise<{ killAt: number; listenAt: number }>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no LISTENING from the runner within ${timeoutMs} ms`)), timeoutMs);
    lines.on("line", (line) => {
      const m = /^LISTENING (\d+) (\d+)$/.exec(line.trim());
      if (m !== null) resolve({ killAt: Number(m[1]), listenAt: Number(m[2]) });
      else if (line.startsWith("ABORT")) reject(new Error(`the runner aborted: ${line.slice(6)}`));
    });
  }).finally(() => {
    clearTimeout(timer);
    lines.close();
  });
}

async function run(spec: RecoverySpec): Promise<RecoveryResult> {
  const capacity = Math.ceil((spec.rate * (spec.beforeMs + spec.recoverWithinMs + spec.afterMs + 30_000)) / 1000);
  const sentAt = new Float64Array(capacity);
  const subs = await openAll(spec);
  const logs = subs.map(() => new DeliveryLog(capacity));
  let publisher: Publisher | undefined;
  let listenAt = Infinity;
  const liveAt = subs.map(() => NaN);
  subs.forEach((s, i) => {
    const log = logs[i];
    s.onSeq = (seq) => {
      const now = Date.now();
      log.deliver(seq, now);
      if (Number.isNaN(liveAt[i]) && sentAt[seq] >= listenAt) liveAt[i] = now;
    };
  });
  let sent = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;
  try {
    publisher = await openPublisher(spec.library, spec.publisherUrl, 10_000);
    const pub = publisher;
    const t0 = performance.now();
    ticker = setInterval(() => {
      const due = Math.min(capacity, Math.floor(((performance.now() - t0) * spec.rate) / 1000));
      while (sent < due) {
        sentAt[sent] = Date.now();
        pub.send(sent++);
      }
    }, 5);
    await sleep(spec.beforeMs);
    const cpu0 = cpuSeconds(process.pid);
    console.log("KILL");
    const times = await listening(30_000);
    listenAt = times.listenAt;
    // Who was live again before this process heard of listenAt.
    for (const [i, log] of logs.entries()) if (Number.isNaN(liveAt[i])) liveAt[i] = log.liveAgainAt(sentAt, sent, listenAt);
    const deadline = Date.now() + spec.recoverWithinMs;
    while (Date.now() < deadline && liveAt.some(Number.isNaN) && pub.lost === undefined) await sleep(20);
    console.log("LIVE"); // the runner reads the servers' and Redis's CPU time from listening to here
    await sleep(spec.afterMs);
    clearInterval(ticker);
    ticker = undefined;
    const drainEnd = Date.now() + 3000;
    while (Date.now() < drainEnd && logs.some((l) => l.highest < sent - 1)) await sleep(20);
    await sleep(100); // anything arriving twice at the very end
    const clientCpu = cpuSeconds(process.pid) - cpu0;
    return summarize({
      spec,
      subs,
      logs,
      sentAt,
      sent,
      acked: pub.acked,
      failed: pub.failed,
      publisherLost: pub.lost,
      killAt: times.killAt,
      listenAt,
      clientCpuSeconds: clientCpu,
    });
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    await publisher?.close();
    await Promise.all(subs.map((s) => s.close()));
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "") as RecoverySpec;
  const guard = setTimeout(() => {
    console.log("RESULT " + JSON.stringify({ ok: false, error: "the recovery client timed out" }));
    process.exit(1);
  }, 120_000);
  let result: RecoveryResult | { ok: false; error: string };
  try {
    result = await run(spec);
  } catch (err) {
    result = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  clearTimeout(guard);
  console.log("RESULT " + JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

await main();
