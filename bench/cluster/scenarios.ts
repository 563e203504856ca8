/**
 * The cluster scenarios `npm run bench` measures (issue 16), with their
 * full and quick sizes:
 *
 * - `cluster-fanout`: one publisher, 1,000 subscribers spread evenly over
 *   two server processes sharing one redis-server; fullduplex (Deno + Bun,
 *   Bun + Bun) against socket.io (two Node.js processes, Redis adapter) and
 *   against one fullduplex process holding all 1,000 subscribers.
 * - `reuseport-echo`, `reuseport-fanout`: 1 and 2 fullduplex processes on
 *   ONE port with `reusePort`, sharing a Redis broker, on each runtime.
 *
 * @module
 */

import type { LoadSpec } from "../loadgen.ts";
import type { ServerMode } from "../servers/mode.ts";
import type { FanoutSpec } from "./fanout_client.ts";
import type { ClusterTarget } from "./topology.ts";

/** A target in a scenario, and the target its ratios are computed against. */
export interface ClusterEntry {
  target: ClusterTarget;
  baseline: string;
}

/** One cluster scenario. */
export interface ClusterScenario {
  id: string;
  title: string;
  /** What the table's "messages" are. */
  unit: string;
  mode: ServerMode;
  entries: ClusterEntry[];
  /** The load generator and its runtime (the same for every target). */
  client: {
    runtime: "bun";
    script: "bench/cluster/fanout_client.ts";
    load: Omit<FanoutSpec, "driver" | "subscriberUrls" | "publisherUrl" | "cpu">;
  } | {
    runtime: "deno";
    script: "bench/loadgen.ts";
    load: Omit<LoadSpec, "url" | "serverPid" | "serverPids">;
  };
  clientWhy: string;
  rounds: number;
  /** A warm-up run per target before the rounds (skipped in quick mode). */
  warmup: boolean;
}

const fd = (id: string, members: ClusterTarget["members"], extra: Partial<ClusterTarget> = {}): ClusterTarget => ({
  id,
  server: "fullduplex",
  members,
  broker: true,
  sharedPort: false,
  driver: "ws",
  ...extra,
});

/** Cluster fan-out targets. */
const SOCKETIO: ClusterTarget = {
  id: "socket.io node+node",
  server: "socketio",
  members: ["node", "node"],
  broker: true,
  sharedPort: false,
  driver: "socketio",
};
/** The control: socket.io's servers with the protocol spoken by hand (what socket.io-client's own cost does to the figures). */
const SOCKETIO_RAW: ClusterTarget = { ...SOCKETIO, id: "socket.io node+node, hand-written client", driver: "socketio-raw" };
const FD_DENO_BUN = fd("fullduplex deno+bun", ["deno", "bun"]);
const FD_BUN_BUN = fd("fullduplex bun+bun", ["bun", "bun"]);
const FD_BUN_ONE = fd("fullduplex bun, 1 process", ["bun"], { broker: false });

/** reusePort targets: N processes on one port, a Redis broker shared. */
const shared = (runtime: "deno" | "bun", n: number): ClusterTarget =>
  fd(`${runtime} ×${n} reusePort`, Array.from({ length: n }, () => runtime), { sharedPort: true });

/**
 * Publications outstanding in the full-size fan-out runs. Throughput and
 * CPU per delivery both depend on it (more outstanding = more messages per
 * socket per write), so every target gets the same, and it is large enough
 * that every target is at its plateau: measured while building this on the
 * shared 2-core machine, socket.io 20k → 45k → 79k → 80k → 79k deliveries/s at
 * 4, 16, 64, 128, 256; fullduplex Bun + Bun 110k → 300k → 595k → 690k → 600k.
 */
const WINDOW = 64;

const FANOUT_WHY =
  "one Bun process for every target, subscribers spread round robin over the servers' URLs, the publisher on the first server; " +
  "fullduplex's clients are plain WebSockets, socket.io's are socket.io-client (websocket transport only, Bun's WebSocket underneath), " +
  "and the control target speaks socket.io's protocol by hand over the same plain WebSockets";

/** The scenarios, full size or quick (every delivery of a few hundred publications checked). */
export function clusterScenarios(quick: boolean): ClusterScenario[] {
  const fanoutLoad = (subscribers: number) =>
    quick ? { subscribers: 20, window: 16, publications: 300 } : { subscribers, window: WINDOW, warmupMs: 500, steadyMs: 2000 };
  const reuse = [
    { target: shared("bun", 1), baseline: "bun ×1 reusePort" },
    { target: shared("bun", 2), baseline: "bun ×1 reusePort" },
    { target: shared("deno", 1), baseline: "deno ×1 reusePort" },
    { target: shared("deno", 2), baseline: "deno ×1 reusePort" },
  ];
  return [
    {
      id: "cluster-fanout",
      title: "Fan-out across servers: 1 publisher → 1,000 subscribers spread over 2 processes sharing one redis-server",
      unit: "deliveries",
      mode: "fanout",
      entries: [FD_DENO_BUN, FD_BUN_BUN, SOCKETIO, SOCKETIO_RAW, FD_BUN_ONE].map((target) => ({ target, baseline: SOCKETIO.id })),
      client: { runtime: "bun", script: "bench/cluster/fanout_client.ts", load: fanoutLoad(1000) },
      clientWhy: FANOUT_WHY,
      rounds: quick ? 1 : 3,
      warmup: !quick,
    },
    {
      id: "reuseport-echo",
      title: "Every core, echo: 1 or 2 processes on one port (reusePort, Redis broker), 100 connections, 32-byte text, 8 in flight",
      unit: "echoes",
      mode: "echo",
      entries: reuse,
      client: {
        runtime: "deno",
        script: "bench/loadgen.ts",
        load: {
          mode: "echo",
          connections: quick ? 10 : 100,
          size: 32,
          binary: false,
          window: 8,
          warmupMs: quick ? 100 : 300,
          steadyMs: quick ? 300 : 2000,
        },
      },
      clientWhy: "the small echo's Deno client (bench/loadgen.ts), one process; the kernel spreads its connections over the processes",
      rounds: quick ? 1 : 2,
      warmup: !quick,
    },
    {
      id: "reuseport-fanout",
      title: "Every core, fan-out: 1 or 2 processes on one port (reusePort, Redis broker), 1 publisher → 1,000 subscribers",
      unit: "deliveries",
      mode: "fanout",
      entries: reuse,
      client: { runtime: "bun", script: "bench/cluster/fanout_client.ts", load: fanoutLoad(1000) },
      clientWhy: "the cluster fan-out client (Bun), every subscriber on the one shared URL; the kernel picks the process",
      rounds: quick ? 1 : 2,
      warmup: !quick,
    },
  ];
}
