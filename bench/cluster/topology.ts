/**
 * The cluster targets (one or more server processes, a broker or not, their
 * own ports or one shared port with reusePort) and the process control
 * that runs them: start every member, learn its port and pid, restart one
 * (for a scenario that kills a server), stop all. Used by
 * bench/cluster/runner.ts.
 *
 * @module
 */

import { startProcess, stopServer } from "../processes.ts";
import type { ProcessSpec, ServerProcess } from "../processes.ts";
import type { RuntimeName } from "../targets.ts";
import type { DriverName } from "./drivers.ts";
import type { ServerMode } from "../servers/mode.ts";

/** The server scripts a member can run; both take `<mode> [--redis URL --prefix P] [--port N] [--reuse-port]`. */
export const CLUSTER_SCRIPTS = {
  fullduplex: "bench/servers/fullduplex_cluster.ts",
  socketio: "bench/servers/socketio_node.mjs",
} as const;

/** One cluster configuration under test. */
export interface ClusterTarget {
  /** Short id for tables, e.g. `fullduplex deno+bun`. */
  id: string;
  /** Which server: fullduplex (on the members' runtimes) or socket.io (Node.js). */
  server: keyof typeof CLUSTER_SCRIPTS;
  /** One runtime per process. */
  members: RuntimeName[];
  /** A Redis broker (fullduplex) or adapter (socket.io) shared by the members. */
  broker: boolean;
  /** Every member on one port with reusePort (the kernel spreads connections); otherwise each has its own. */
  sharedPort: boolean;
  /** How clients talk to it. */
  driver: DriverName;
}

/** A started cluster target. */
export interface RunningCluster {
  target: ClusterTarget;
  /** The members, in the order of `target.members`. */
  readonly members: readonly ServerProcess[];
  /** Where clients connect: one URL per member, or the one shared URL. */
  readonly urls: string[];
  /** The members' pids (for /proc). */
  readonly pids: number[];
  /** Kills member `i` (SIGKILL) and starts it again on the same port. */
  restart(i: number): Promise<void>;
  /** Stops every member; returns each one's peak RSS in bytes. */
  stop(): Promise<number[]>;
}

function memberSpec(target: ClusterTarget, i: number, mode: ServerMode, redisUrl: string | undefined, port: number): ProcessSpec {
  const runtime = target.members[i];
  const args: string[] = [mode, "--port", String(port)];
  // A prefix (socket.io: adapter key) per target: targets sharing one redis-server never hear each other.
  if (target.broker && redisUrl !== undefined) args.push("--redis", redisUrl, "--prefix", `bench-${target.id.replace(/\W+/g, "-")}:`);
  if (target.sharedPort) args.push("--reuse-port");
  return {
    name: `${target.id} #${i + 1} (${runtime})`,
    runtime,
    script: CLUSTER_SCRIPTS[target.server],
    args,
    denoFlags: target.sharedPort ? ["--unstable-net"] : [],
  };
}

/** Starts every member (the first picks the shared port, if any); on a failure stops those already started. */
export async function startCluster(target: ClusterTarget, mode: ServerMode, redisUrl: string | undefined): Promise<RunningCluster> {
  if (target.broker && redisUrl === undefined) throw new Error(`${target.id} needs a redis-server`);
  const members: ServerProcess[] = [];
  try {
    for (let i = 0; i < target.members.length; i++) {
      const port = target.sharedPort && i > 0 ? members[0].port : 0;
      members.push(await startProcess(memberSpec(target, i, mode, redisUrl, port)));
    }
  } catch (err) {
    await Promise.all(members.map(stopServer));
    throw err;
  }
  const url = (p: ServerProcess) => `ws://127.0.0.1:${p.port}`;
  return {
    target,
    members,
    get urls() {
      return target.sharedPort ? [url(members[0])] : members.map(url);
    },
    get pids() {
      return members.map((m) => m.pid);
    },
    async restart(i) {
      const old = members[i];
      old.child.kill("SIGKILL");
      await old.child.status;
      members[i] = await startProcess({
        ...old.spec,
        args: old.spec.args.map((a, j, all) => (all[j - 1] === "--port" ? String(old.port) : a)),
      });
    },
    stop: () => Promise.all(members.map(stopServer)),
  };
}
