/**
 * The load generator of the cluster fan-out scenarios (run on Bun by
 * bench/cluster/runner.ts; prints one line `RESULT {json}`): one publisher
 * and `subscribers` subscribers spread evenly (round robin) over the given
 * server URLs, `window` publications outstanding (one is done when every
 * subscriber has it), every delivery checked (each subscriber sees the
 * sequence numbers in order, none missing, none twice).
 *
 * - timed (`publications` unset): warm-up, then a steady phase over which
 *   deliveries are counted and the CPU time of every process in `cpu` is
 *   read from /proc, by group (e.g. servers, redis), plus this process's own.
 * - counted (`publications` set, bench:quick): exactly that many
 *   publications, then every subscriber must have had every one.
 *
 * Usage: `bun run bench/cluster/fanout_client.ts '<FanoutSpec JSON>'`.
 * Every phase is bounded; a stall is reported as an error.
 *
 * @module
 */

import process from "node:process";
import type { DriverName } from "./drivers.ts";
import { LatencyHistogram } from "../histogram.ts";
import { cpuSeconds } from "../proc.ts";
import { driverNamed } from "./drivers.ts";
import type { Driver, Link } from "./drivers.ts";
import { PublicationWindow, SubscriberCheck } from "./sequence.ts";
import { connectionsByPid } from "./sockets.ts";

/** What to run. */
export interface FanoutSpec {
  driver: DriverName;
  /** ws://127.0.0.1:port URLs (no path): subscriber i connects to `subscriberUrls[i % length]`. */
  subscriberUrls: string[];
  /** Where the publisher connects. */
  publisherUrl: string;
  subscribers: number;
  window: number;
  warmupMs?: number;
  steadyMs?: number;
  /** Counted mode: publish exactly this many, no timing. */
  publications?: number;
  /** Processes whose CPU time is read over the steady phase, by group name. */
  cpu: Record<string, number[]>;
  /** reusePort: count the established connections to this port per server pid (`ss`) once all are open. */
  countConnectionsOn?: number;
}

/** What a run measured. */
export interface FanoutResult {
  ok: boolean;
  error?: string;
  /** Deliveries during the steady phase (counted mode: all of them). */
  deliveries: number;
  seconds: number;
  deliveriesPerSecond: number;
  /** CPU seconds per group over the steady phase, plus `client` (this process). */
  cpuSeconds: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  /** Deliveries out of order, repeated or after a gap (must be 0). */
  wrong: number;
  publications: number;
  /** With `countConnectionsOn`: connections per server pid. */
  connectionsByPid?: Record<string, number>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function emptyResult(): FanoutResult {
  return {
    ok: false,
    deliveries: 0,
    seconds: 0,
    deliveriesPerSecond: 0,
    cpuSeconds: {},
    p50Ms: NaN,
    p99Ms: NaN,
    wrong: 0,
    publications: 0,
  };
}

/** Opens `n` links, at most `concurrency` handshakes at a time; rejects on the first failure. */
async function openMany(driver: Driver, urls: string[], n: number, concurrency: number, timeoutMs: number): Promise<Link[]> {
  const links: Link[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      links[i] = await driver.open(urls[i % urls.length], "subscriber", timeoutMs);
    }
  };
  const workers = Array.from({ length: Math.min(concurrency, n) }, worker);
  try {
    await Promise.all(workers);
  } catch (err) {
    await Promise.allSettled(workers);
    await Promise.all(links.filter((l) => l !== undefined).map((l) => l.close()));
    throw err;
  }
  return links;
}

function readCpu(groups: Record<string, number[]>): Record<string, number> {
  const out: Record<string, number> = { client: cpuSeconds(process.pid) };
  for (const [name, pids] of Object.entries(groups)) out[name] = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  return out;
}

async function run(spec: FanoutSpec): Promise<FanoutResult> {
  const driver = driverNamed(spec.driver);
  const result = emptyResult();
  const hist = new LatencyHistogram();
  const subs = await openMany(driver, spec.subscriberUrls, spec.subscribers, 50, 20_000);
  const all: Link[] = [...subs];
  let lost: string | undefined;
  try {
    const pub = await driver.open(spec.publisherUrl, "publisher", 5000);
    all.push(pub);
    for (const link of all) link.onLost = (why) => (lost ??= `a connection ended during the run: ${why}`);

    // A subscription may be made after the client saw its open (and must
    // reach Redis on the other server): probe until every subscriber heard one.
    let heard = 0;
    for (const link of subs) {
      link.onText = () => {
        heard++;
        link.onText = null;
      };
    }
    const probeEnd = Date.now() + 10_000;
    while (heard < subs.length && Date.now() < probeEnd && lost === undefined) {
      pub.send("probe");
      await sleep(50);
    }
    if (heard < subs.length) throw new Error(lost ?? `only ${heard} of ${subs.length} subscribers received a publication`);
    await sleep(200); // stray probes arrive and are ignored below
    if (spec.countConnectionsOn !== undefined) result.connectionsByPid = connectionsByPid(spec.countConnectionsOn);

    const window = new PublicationWindow(spec.window, subs.length);
    const limit = spec.publications ?? Infinity;
    let running = true;
    let measuring = spec.publications !== undefined;
    let lastProgress = performance.now();
    const checks = subs.map(() => new SubscriberCheck());
    const publish = () => {
      // 32 bytes of text carrying the sequence number.
      while (running && window.hasRoom && window.next < limit) pub.send(String(window.publish(performance.now())).padStart(32, "0"));
    };
    subs.forEach((link, i) => {
      const check = checks[i];
      link.onText = (text) => {
        if (text === "probe") return;
        const now = performance.now();
        const seq = parseInt(text, 10);
        if (!check.accept(seq)) result.wrong++;
        const latency = window.delivered(seq, now); // NaN for a delivery outside the window (already counted as wrong)
        if (measuring) {
          if (Number.isFinite(latency)) hist.record(latency);
          result.deliveries++;
        }
        if (window.retire() > 0) {
          lastProgress = now;
          publish();
        }
      };
    });

    const stalled = () => performance.now() - lastProgress > 3000 || lost !== undefined;
    const wait = async (ms: number, done: () => boolean = () => false) => {
      const end = performance.now() + ms;
      while (performance.now() < end && !stalled() && !done()) await sleep(10);
    };
    let t0 = performance.now();
    let cpu0 = readCpu(spec.cpu);
    publish();
    if (spec.publications === undefined) {
      await wait(spec.warmupMs ?? 500);
      cpu0 = readCpu(spec.cpu);
      t0 = performance.now();
      measuring = true;
      await wait(spec.steadyMs ?? 2000);
    } else {
      await wait(60_000, () => window.oldest >= limit);
    }
    measuring = false;
    const t1 = performance.now();
    const cpu1 = readCpu(spec.cpu);
    running = false;
    await wait(5000, () => window.outstanding === 0);

    result.publications = window.next;
    result.seconds = (t1 - t0) / 1000;
    result.deliveriesPerSecond = result.deliveries / result.seconds;
    for (const name of Object.keys(cpu1)) result.cpuSeconds[name] = cpu1[name] - cpu0[name];
    result.p50Ms = hist.percentile(0.5);
    result.p99Ms = hist.percentile(0.99);
    const behind = checks.filter((c) => c.expected !== window.next).length;
    if (lost !== undefined) result.error = lost;
    else if (window.outstanding > 0) result.error = `${window.outstanding} publications did not reach every subscriber`;
    else if (behind > 0) result.error = `${behind} subscribers did not get every publication`;
    else if (spec.publications !== undefined && window.next !== spec.publications) {
      result.error = `published ${window.next} of ${spec.publications}`;
    }
    if (result.deliveries === 0) result.error ??= "no deliveries";
    if (result.wrong > 0) result.error ??= `${result.wrong} deliveries out of order, repeated or after a gap`;
    result.ok = result.error === undefined;
    return result;
  } finally {
    for (const link of all) link.onLost = null;
    await Promise.all(all.map((l) => l.close()));
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "") as FanoutSpec;
  const guard = setTimeout(() => {
    console.log("RESULT " + JSON.stringify({ ...emptyResult(), error: "the fan-out client timed out" }));
    process.exit(1);
  }, 120_000);
  let result: FanoutResult;
  try {
    result = await run(spec);
  } catch (err) {
    result = { ...emptyResult(), error: err instanceof Error ? err.message : String(err) };
  }
  clearTimeout(guard);
  console.log("RESULT " + JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

await main();
