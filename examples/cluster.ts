/**
 * Every core of one machine: N worker processes of one WebSocket server on
 * ONE port (`reusePort`: on Linux the kernel hands each new connection to
 * one of them), sharing a Redis broker so that a publish in any worker
 * reaches the subscribers of all of them. Each worker greets a connection
 * with `welcome from worker <pid>` and publishes every text it receives to
 * topic "chat" as `<pid>: <text>`.
 *
 *   bun run examples/cluster.ts [--workers N] [--port 8080] [--redis redis://localhost:6379]
 *   deno run -A examples/cluster.ts …   (the workers get --unstable-net: Deno's reusePort needs it)
 *
 * Workers default to one per core (navigator.hardwareConcurrency). The
 * primary only starts the workers and stops them on SIGINT/SIGTERM; if one
 * dies, it stops the others and exits 1 (leave restarts to your supervisor:
 * systemd, a container runtime). The kernel spreads connections on Linux
 * (checked); macOS and Windows do not balance SO_REUSEPORT listeners. On
 * Deno, `deno serve --parallel` does the same inside one process (N
 * isolates) for `export default { fetch }` with `createHandler`. Figures:
 * bench/FINDINGS.md.
 *
 * @module
 */

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import process from "node:process";
import { serve } from "../mod.ts";
import type { Server } from "../mod.ts";
import { createRedisBroker } from "../src/broker/redis.ts"; // from JSR: "@fullduplex/fullduplex/redis"
import { errorText, exit, onShutdownSignal, scriptArgs } from "../demo/cli.ts";

const { values } = parseArgs({
  args: scriptArgs(),
  options: {
    workers: { type: "string", default: String(navigator.hardwareConcurrency || 1) },
    port: { type: "string", default: "8080" },
    host: { type: "string", default: "0.0.0.0" },
    redis: { type: "string", default: "redis://localhost:6379" },
    worker: { type: "boolean", default: false },
  },
});

/** One worker: a whole server on the shared port, topics shared through Redis. */
async function worker(): Promise<void> {
  const broker = await createRedisBroker({ url: values.redis });
  const server: Server = serve({
    port: Number(values.port),
    hostname: values.host,
    reusePort: true,
    broker,
    open(socket) {
      socket.subscribe("chat");
      socket.send(`welcome from worker ${process.pid}`);
    },
    message(_socket, msg) {
      if (msg.kind === "text") server.publish("chat", `${process.pid}: ${msg.text()}`);
    },
  });
  await server.ready;
  console.log(`worker ${process.pid} listening on ${server.url}`);
  onShutdownSignal(async () => {
    await server.shutdown({ timeout: 2000 });
    await broker.close();
    exit(0);
  });
}

/** The primary: starts the workers (this file again, `--worker`, same runtime) and stops them. */
function primary(): void {
  const count = Number(values.workers);
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`--workers must be a positive integer, got ${values.workers}`);
  const self = fileURLToPath(import.meta.url);
  const isDeno = typeof (globalThis as { Deno?: unknown }).Deno === "object";
  const run = isDeno ? ["run", "-A", "--unstable-net", self] : ["run", self];
  const args = ["--worker", "--port", values.port, "--host", values.host, "--redis", values.redis];
  const workers = new Set<ChildProcess>();
  let stopping = false;
  const stopAll = (code: number) => {
    stopping = true;
    for (const w of workers) w.kill("SIGTERM");
    process.exitCode = code;
    if (workers.size === 0) exit(code);
  };
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, [...run, ...args], { stdio: ["ignore", "inherit", "inherit"] });
    workers.add(child);
    child.on("exit", (code, signal) => {
      workers.delete(child);
      if (!stopping) {
        console.error(`worker ${child.pid} exited (${signal ?? code}): stopping the others`);
        stopAll(1);
      } else if (workers.size === 0) {
        console.log("all workers stopped");
        exit(Number(process.exitCode ?? 0));
      }
    });
  }
  onShutdownSignal(() => stopAll(0));
}

try {
  if (values.worker) await worker();
  else primary();
} catch (err) {
  console.error(`Error: ${errorText(err)}`);
  exit(1);
}
