/**
 * The recovery scenarios `npm run bench` measures (issue 16, parts 2 and
 * 3), with their full and quick sizes:
 *
 * - `history-fanout` (part 2): the cluster fan-out (1 publisher, 1,000
 *   subscribers spread over two server processes sharing one redis-server)
 *   with every publication stored in a Redis Streams history, against the
 *   same fullduplex servers without history (plain Redis pub/sub: the cost
 *   of storing, run by run) and against socket.io with
 *   `@socket.io/redis-streams-adapter` and connection state recovery. Run
 *   by the cluster runner (bench/cluster/runner.ts) like the other cluster
 *   scenarios.
 * - `recovery-restart` (part 3): 1,000 subscribers that recover, one server
 *   process killed and started again while publications flow; run by
 *   bench/recovery/runner.ts.
 *
 * @module
 */

import type { ClusterScenario } from "../cluster/scenarios.ts";
import type { ClusterTarget } from "../cluster/topology.ts";

/** The history size of every topic (fullduplex) and the stream's MAXLEN (socket.io): the same 10,000. */
export const HISTORY_SIZE = 10_000;

const FD_SCRIPT = "bench/servers/fullduplex_recovery.ts";
const SIO_SCRIPT = "bench/servers/socketio_streams_node.mjs";

const fd = (id: string, history: boolean, driver: ClusterTarget["driver"], extra: string[] = []): ClusterTarget => ({
  id,
  server: "fullduplex",
  members: ["bun", "bun"],
  broker: true,
  sharedPort: false,
  driver,
  script: FD_SCRIPT,
  args: [...(history ? ["--history", String(HISTORY_SIZE)] : []), ...extra],
});

/** fullduplex Bun + Bun, Redis broker and Redis Streams history, plain subscribers: the publication is stored, then fanned out. */
export const FD_HISTORY = fd("fullduplex bun+bun, history", true, "ws");
/** The same servers and subscribers without history: plain Redis pub/sub between the two. */
export const FD_PLAIN = fd("fullduplex bun+bun, no history", false, "ws");
/** History, and subscribers on the channels protocol with `recover: true` (positions in every frame), spoken by hand. */
export const FD_HISTORY_CHANNELS = fd("fullduplex bun+bun, history, recover subscribers", true, "fd-channels");
/** socket.io 4, two Node.js processes, Redis Streams adapter, connection state recovery, socket.io-client subscribers. */
export const SIO_STREAMS: ClusterTarget = {
  id: "socket.io node+node, streams adapter",
  server: "socketio",
  members: ["node", "node"],
  broker: true,
  sharedPort: false,
  driver: "socketio",
  script: SIO_SCRIPT,
};

/** Publications outstanding: the cluster fan-out's (bench/cluster/scenarios.ts), so the figures compare with its table. */
const WINDOW = 64;

/** Part 2: fan-out with every publication stored. */
export function historyFanoutScenario(quick: boolean): ClusterScenario {
  return {
    id: "history-fanout",
    title: "Fan-out with history: 1 publisher → 1,000 subscribers over 2 processes, every publication stored in Redis Streams",
    unit: "deliveries",
    mode: "fanout",
    // The recover subscribers (channels by hand) only in bench:quick: their deliveries checked, the full run kept under 15 minutes.
    entries: [FD_HISTORY, FD_PLAIN, ...(quick ? [FD_HISTORY_CHANNELS] : []), SIO_STREAMS].map((target) => ({
      target,
      baseline: SIO_STREAMS.id,
    })),
    client: {
      runtime: "bun",
      script: "bench/cluster/fanout_client.ts",
      load: quick
        ? { subscribers: 20, window: 16, publications: 300 }
        : { subscribers: 1000, window: WINDOW, warmupMs: 500, steadyMs: 2000 },
    },
    clientWhy: "the cluster fan-out client, one Bun process, subscribers round robin over the two servers, the publisher on the first; " +
      "fullduplex's plain subscribers are plain WebSockets (the server subscribes them), its recover subscribers speak the channels " +
      "protocol by hand (`sub` with `recover: true`, `msg` frames with positions), socket.io's are socket.io-client (websocket transport)",
    rounds: quick ? 1 : 3,
    warmup: !quick,
  };
}

/** A target of the recovery scenario: its servers (member 1 is killed; the publisher is on member 0) and its clients' library. */
export interface RecoveryEntry {
  /** For tables: the target and the event, e.g. `fullduplex …, SIGKILL, 20/s`. */
  id: string;
  target: ClusterTarget;
  library: "fullduplex" | "socketio";
  /** SIGKILL: a crash (nothing runs in the server after it); SIGTERM: a graceful restart (each library's own shutdown). */
  signal: "SIGKILL" | "SIGTERM";
  /** Publications per second. */
  rate: number;
  /** Its guarantee: every publication exactly once, in order, every subscriber recovered (a failure otherwise; socket.io's losses are findings). */
  exactlyOnce: boolean;
}

/** Part 3: the recovery scenario. */
export interface RecoveryScenario {
  id: string;
  title: string;
  entries: RecoveryEntry[];
  load: {
    subscribers: number;
    beforeMs: number;
    afterMs: number;
    recoverWithinMs: number;
    backoff: { minDelay: number; maxDelay: number };
  };
  /** From the old process's exit to starting the new one, ms. */
  downMs: number;
  rounds: number;
}

/** fullduplex Bun + Bun, Redis broker + Redis Streams history, publishWithAck (the publisher is told each is stored); SIGTERM: shutdown(1012). */
export const FD_RECOVERY = fd("fullduplex bun+bun, Redis history", true, "ws", ["--ack", "--graceful"]);
/** socket.io Node + Node, Redis Streams adapter, connection state recovery; SIGTERM: io.close(). */
export const SIO_RECOVERY: ClusterTarget = {
  ...SIO_STREAMS,
  id: "socket.io node+node, streams adapter + connection state recovery",
  args: ["--graceful"],
};

/**
 * The rate both libraries sustain with 1,000 subscribers on one process on
 * this machine, with room to spare: socket.io's whole cluster delivered
 * 17k–32k/s at its limit in the fan-out with history (bench/FINDINGS.md).
 */
const SHARED_RATE = 20;
/** A rate only fullduplex sustains here (100,000 deliveries/s into one client process): its recovery under load. */
const HIGH_RATE = 100;

/** Part 3: 1,000 subscribers on the server that is killed, publications flowing. */
export function recoveryScenario(quick: boolean): RecoveryScenario {
  const entry = (library: "fullduplex" | "socketio", signal: "SIGKILL" | "SIGTERM", rate: number): RecoveryEntry => {
    const target = library === "fullduplex" ? FD_RECOVERY : SIO_RECOVERY;
    return { id: `${target.id}, ${signal}, ${rate}/s`, target, library, signal, rate, exactlyOnce: library === "fullduplex" };
  };
  const shared = quick ? 50 : SHARED_RATE;
  return {
    id: "recovery-restart",
    title: "Recovery: 1,000 subscribers' server killed and started again on its port while publications flow",
    entries: [
      entry("fullduplex", "SIGKILL", shared),
      entry("socketio", "SIGKILL", shared),
      // fullduplex's graceful restart recovers the same way as its crash: checked in bench:quick, not timed in the full run.
      ...(quick ? [entry("fullduplex", "SIGTERM", shared)] : []),
      entry("socketio", "SIGTERM", shared),
      ...(quick ? [] : [entry("fullduplex", "SIGKILL", HIGH_RATE)]),
    ],
    load: {
      subscribers: quick ? 20 : 1000,
      beforeMs: quick ? 500 : 1500,
      afterMs: quick ? 300 : 1000,
      recoverWithinMs: quick ? 10_000 : 20_000,
      backoff: { minDelay: 100, maxDelay: 1000 },
    },
    downMs: quick ? 200 : 500,
    rounds: 1,
  };
}

/** socket.io's plain Redis pub/sub adapter (bench/servers/socketio_node.mjs, the cluster fan-out's), the streams adapter's counterpart. */
export const SIO_PUBSUB: ClusterTarget = {
  id: "socket.io node+node, pub/sub adapter",
  server: "socketio",
  members: ["node", "node"],
  broker: true,
  sharedPort: false,
  driver: "socketio",
};

/** A target of the publication-cost scenario and the target without storage it is compared with. */
export interface PublishCostEntry {
  target: ClusterTarget;
  /** The same servers without storage (plain Redis pub/sub); undefined for those themselves. */
  plain?: string;
}

/** Part 2, what one publication costs: a fan-out small enough that the publication, not its deliveries, is the work. */
export interface PublishCostScenario {
  id: string;
  title: string;
  entries: PublishCostEntry[];
  /** One per server: each publication is delivered twice. */
  subscribers: number;
  window: number;
  /** Per run (counted: CPU and Redis are read around the whole run). */
  publications: number;
  rounds: number;
}

/** Part 2: the cost per publication of storing it, against plain pub/sub, run by run (full run only: bench:quick checks the same targets). */
export function publishCostScenario(): PublishCostScenario {
  return {
    id: "history-publish",
    title: "What a publication costs: stored in Redis Streams vs plain Redis pub/sub (1 publisher, 1 subscriber on each of 2 servers)",
    entries: [
      { target: FD_HISTORY, plain: FD_PLAIN.id },
      { target: FD_PLAIN },
      { target: SIO_STREAMS, plain: SIO_PUBSUB.id },
      { target: SIO_PUBSUB },
    ],
    subscribers: 2,
    window: WINDOW,
    publications: 6_000,
    rounds: 3,
  };
}
