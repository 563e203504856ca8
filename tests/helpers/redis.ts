/**
 * A real redis-server for tests (Debian package `redis-server`, installed
 * by scripts/install-system-deps.sh): started on a free port, without
 * persistence unless asked, restartable on the same port, stopped after.
 */

import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** A running redis-server. */
export interface RedisServer {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: connections drop without goodbye). */
  kill(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  /** Starts it again on the same port (with `persistent`, on the same data: nothing written before is lost). */
  restart(): Promise<void>;
  /** Subscribers of a channel, as Redis counts them (PUBSUB NUMSUB). */
  numsub(channel: string): number;
  /** Runs one command with redis-cli and returns its output, trimmed. */
  cli(...args: string[]): string;
  /** Stops the server (SIGTERM) and removes its data directory, if any. */
  stop(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /**
   * Persistence: an append-only file fsynced on every write
   * (`appendfsync always`) in a temporary directory, so even a SIGKILL
   * loses nothing and `restart()` brings every key back. The directory is
   * removed by `stop()`. Default false: no persistence, a restart starts
   * empty.
   */
  persistent?: boolean;
}

/** Whether `port` can be listened on now (then it is released again). */
function canListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(undefined));
    srv.listen(port, "127.0.0.1", () => {
      const address = srv.address();
      const bound = typeof address === "object" && address !== null ? address.port : undefined;
      srv.close(() => resolve(bound));
    });
  });
}

/**
 * A port that was free a moment ago, below Linux's ephemeral range
 * (32768-60999): while a test has Redis down between kill() and
 * restart(), an outgoing connection of any process on the machine may
 * take a free port of that range as its local port, and the restart then
 * fails with "Address already in use" (seen on a busy machine). Falls back
 * to a port the OS picks.
 */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await canListen(20_000 + Math.floor(Math.random() * 12_000));
    if (port !== undefined) return port;
  }
  const port = await canListen(0);
  if (port === undefined) throw new Error("no free port for redis-server");
  return port;
}

function launch(port: number, dir: string | undefined): Promise<ChildProcess> {
  const persistence = dir === undefined ? ["--appendonly", "no"] : ["--dir", dir, "--appendonly", "yes", "--appendfsync", "always"];
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...persistence], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not start within 10 s: ${out}`));
    }, 10_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run redis-server (apt-get install redis-server; scripts/install-system-deps.sh does it): ${err.message}`));
    });
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => {
      out += d;
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${out}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Sends a signal to a running child. Through process.kill, not
 * child.kill: on Deno 2.9.5 a second child.kill() on the same child
 * returns false and sends nothing (a SIGCONT after a SIGSTOP never
 * reaches the process; checked with ps); process.kill(pid) works on both
 * runtimes.
 */
function signal(child: ChildProcess, name: "SIGSTOP" | "SIGCONT"): void {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, name);
}

/** Starts redis-server on a free port. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = options.persistent ? mkdtempSync(join(tmpdir(), "fullduplex-redis-")) : undefined;
  let child: ChildProcess;
  try {
    child = await launch(port, dir);
  } catch (err) {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
    pause() {
      signal(child, "SIGSTOP");
    },
    resume() {
      signal(child, "SIGCONT");
    },
    async restart() {
      child = await launch(port, dir);
    },
    cli(...args) {
      const result = spawnSync("redis-cli", ["-p", String(port), ...args], { encoding: "utf8" });
      if (result.status !== 0) throw new Error(`redis-cli ${args.join(" ")} failed: ${result.stderr}`);
      return result.stdout.trim();
    },
    numsub(channel) {
      const result = spawnSync("redis-cli", ["-p", String(port), "pubsub", "numsub", channel], { encoding: "utf8" });
      return Number(result.stdout.trim().split("\n")[1] ?? 0);
    },
    async stop() {
      signal(child, "SIGCONT"); // a paused server acts on SIGTERM only once it runs again
      child.kill("SIGTERM");
      await exited(child);
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
