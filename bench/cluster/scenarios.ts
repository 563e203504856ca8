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
const FD_DENO_BUN = fd("fullduplex deno+bun", ["deno", "bun"]);
const FD_BUN_BUN = fd("fullduplex bun+bun", ["bun", "bun"]);
const FD_BUN_ONE = fd("fullduplex bun, 1 process", ["bun"], { broker: false });

/** reusePort targets: N processes on one port, a Redis broker shared. */
const shared = (runtime: "deno" | "bun", n: number): ClusterTarget =>
  fd(`${runtime} ×${n} reusePort`, Array.from({ length: n }, () => runtime), { sharedPort: true });

const FANOUT_WHY =
  "one Bun process for every target (the fan-out client of the single-process scenario), subscribers spread round robin over the servers' URLs; " +
  "socket.io's subscribers use socket.io-client (websocket transport only) on the same Bun WebSocket client";

/** The scenarios, full size or quick (every delivery of a few hundred publications checked). */
export function clusterScenarios(quick: boolean): ClusterScenario[] {
  const fanoutLoad = (subscribers: number) =>
    quick ? { subscribers: 20, window: 16, publications: 300 } : { subscribers, window: 16, warmupMs: 500, steadyMs: 2000 };
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
      entries: [FD_DENO_BUN, FD_BUN_BUN, SOCKETIO, FD_BUN_ONE].map((target) => ({ target, baseline: SOCKETIO.id })),
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
