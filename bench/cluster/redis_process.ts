/**
 * A redis-server for the cluster scenarios, started by the runner (Deno) on
 * a free port without persistence, its pid known so its CPU time can be
 * read from /proc. Restartable on the same port (for a scenario that takes
 * Redis away), always stopped by the caller (`stop()` in a `finally`).
 *
 * @module
 */

/** A running redis-server. */
export interface RedisProcess {
  port: number;
  url: string;
  /** The current process's pid (changes on restart). */
  readonly pid: number;
  /** SIGKILL: clients lose their connections without goodbye. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  /** SIGTERM, SIGKILL after 3 s. */
  stop(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function launch(port: number): Promise<Deno.ChildProcess> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("redis-server", {
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    throw new Error(`cannot run redis-server (apt-get install redis-server): ${err instanceof Error ? err.message : err}`);
  }
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      (async () => {
        while (!out.includes("Ready to accept connections")) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`redis-server exited: ${out.slice(-400)}`);
          out += value;
        }
      })(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("redis-server not ready within 10 s")), 10_000))),
    ]);
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    throw err;
  } finally {
    clearTimeout(timer);
  }
  // Keep draining its output so it can never block on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
  child.stderr.cancel().catch(() => {});
  return child;
}

async function end(child: Deno.ChildProcess, signal: Deno.Signal): Promise<void> {
  try {
    child.kill(signal);
  } catch { /* already exited */ }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = await Promise.race([
    child.status.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 3000))),
  ]);
  clearTimeout(timer);
  if (!done) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  }
}

/** Starts redis-server on a free port of 127.0.0.1. */
export async function startRedis(): Promise<RedisProcess> {
  const port = freePort();
  let child = await launch(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid;
    },
    kill: () => end(child, "SIGKILL"),
    async restart() {
      child = await launch(port);
    },
    stop: () => end(child, "SIGTERM"),
  };
}
