/**
 * A server in its own process, so an attacker driven from the test never
 * mixes its memory with the server's: its RSS and CPU time are read from
 * /proc/<pid>/ (Linux). Used by tests/abuse/ and bench/investigate/abuse.ts.
 */

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import process from "node:process";
import { cpuSeconds, memoryBytes } from "../../bench/proc.ts";
import { connect } from "../../mod.ts";
import { ROOT, RUNTIME } from "./runtime.ts";

/** A running server process. */
export interface SpawnedServer {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  /** Resident memory now (VmRSS), bytes. */
  rss(): number;
  /** Peak resident memory so far (VmHWM), bytes. */
  peak(): number;
  /** CPU seconds used so far (user + system). */
  cpu(): number;
  /** stdout so far. */
  stdout(): string;
  /** Resolves with the `n`-th line matching `pattern` (1-based), or rejects after `ms`. */
  line(pattern: RegExp, n?: number, ms?: number): Promise<string>;
  /** The fixture's `server.stats` (tests/fixtures/abuse_server.ts only), through a fresh client. */
  stats(): Promise<Record<string, number>>;
  /** Whether the process has exited. */
  exited(): boolean;
  /** stderr so far (its first 4,000 characters per chunk). */
  stderr(): string;
  /** Kills the process and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `script` (relative to `root`) on `runtime` and waits for it to
 * listen: `READY <port>` (tests/fixtures/abuse_server.ts) or the demo
 * server's `listening on ws://host:port`.
 */
export async function spawnServer(
  runtime: "deno" | "bun",
  script: string,
  args: string[] = [],
  root = ROOT,
  options: { fdLimit?: number } = {},
): Promise<SpawnedServer> {
  const bin = `${root}node_modules/.bin/${runtime}`;
  const argv = runtime === "deno" ? ["run", "-A", "--no-check", "--v8-flags=--expose-gc", script, ...args] : ["run", script, ...args];
  // With fdLimit, through bash so that `ulimit -n` applies to the server alone (exec keeps the pid).
  const quoted = [bin, ...argv].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const [cmd, cmdArgs] = options.fdLimit === undefined ? [bin, argv] : ["bash", ["-c", `ulimit -n ${options.fdLimit} && exec ${quoted}`]];
  const child = spawn(cmd, cmdArgs, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  let err = "";
  let exited = false;
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d.slice(0, 4000)));
  const exit = new Promise<void>((resolve) =>
    child.on("exit", () => {
      exited = true;
      for (const w of waiters) w();
      resolve();
    })
  );
  const line = (pattern: RegExp, n = 1, ms = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const global = new RegExp(pattern.source, "gm");
      const check = () => {
        const all = out.match(global) ?? [];
        if (all.length >= n) {
          done();
          resolve(all[n - 1]);
        } else if (exited) {
          done();
          reject(new Error(`${script} exited before printing ${pattern} (${n})\nstderr: ${err}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${script} did not print ${pattern} (${n}) within ${ms} ms\nstdout: ${out.slice(-2000)}\nstderr: ${err}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const ready = await line(/READY (\d+)|listening on ws:\/\/[^:]+:(\d+)/, 1, 20_000).catch((e) => {
    child.kill("SIGKILL");
    throw e;
  });
  const port = Number(/(\d+)\s*$/.exec(ready)![1]);
  const pid = child.pid!;
  return {
    child,
    pid,
    port,
    url: `ws://127.0.0.1:${port}`,
    rss: () => memoryBytes(pid, "VmRSS"),
    peak: () => memoryBytes(pid, "VmHWM"),
    cpu: () => cpuSeconds(pid),
    stdout: () => out,
    stderr: () => err,
    exited: () => exited,
    line,
    async stats() {
      const c = await connect(`ws://127.0.0.1:${port}`, { timeout: 10_000, reconnect: false });
      try {
        c.send("stats");
        for await (const m of c) return JSON.parse(m.text()) as Record<string, number>;
        throw new Error("no stats reply");
      } finally {
        if (c.readyState < 2) await c.close();
      }
    },
    async stop() {
      if (!exited) child.kill("SIGKILL");
      await exit;
    },
  };
}

/** Whole MiB, for messages. */
export function mib(bytes: number): number {
  return Math.round(bytes / 1048576);
}

/** The demo server (server.ts) on this test's runtime, quiet, on 127.0.0.1 and a free port, with extra flags. */
export function spawnDemo(args: string[] = []): Promise<SpawnedServer> {
  return spawnServer(RUNTIME, "server.ts", ["--port", "0", "--host", "127.0.0.1", "--quiet", ...args]);
}
