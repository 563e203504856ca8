/**
 * Test helpers: which runtime runs the suite, paths to both runtimes'
 * executables, and spawning scripts on either with bounded waits.
 */

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { detectRuntime } from "../../src/shared/runtime.ts";

/** The runtime running this test file. */
export const RUNTIME = detectRuntime() as "deno" | "bun";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Path of a runtime's executable from node_modules/.bin. */
export function runtimeBin(runtime: "deno" | "bun"): string {
  return `${ROOT}node_modules/.bin/${runtime}`;
}

/** The other runtime, for interop tests. */
export const OTHER_RUNTIME: "deno" | "bun" = RUNTIME === "deno" ? "bun" : "deno";

/** A spawned script with its output collected. */
export interface Spawned {
  child: ChildProcess;
  /** stdout so far. */
  stdout(): string;
  /** stderr so far. */
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`, or rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (signal exits give 128+n), or rejects after `ms`. */
  exited(ms?: number): Promise<number>;
  /** Kills the process (SIGKILL) if still running. */
  kill(signal?: NodeJS.Signals): void;
}

/** Runs `script` (relative to the repo root) on a runtime. */
export function spawnScript(runtime: "deno" | "bun", script: string, args: string[] = [], input?: string): Spawned {
  const argv = runtime === "deno" ? ["run", "-A", "--no-check", script, ...args] : ["run", script, ...args];
  const child = spawn(runtimeBin(runtime), argv, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => {
    out += d;
    for (const w of waiters) w();
  });
  child.stderr!.on("data", (d: string) => (err += d));
  if (input !== undefined) child.stdin!.end(input);
  let exitCode: number | undefined;
  const exit = new Promise<number>((resolve) => {
    child.on("exit", (code, signal) => {
      exitCode = code ?? 128;
      resolve(exitCode);
      void signal;
      for (const w of waiters) w();
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            cleanup();
            resolve(m);
          } else if (exitCode !== undefined) {
            cleanup();
            reject(new Error(`${script} exited (${exitCode}) before printing ${pattern}\nstdout: ${out}\nstderr: ${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${script} did not print ${pattern} within ${ms} ms\nstdout: ${out}\nstderr: ${err}`));
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    exited(ms = 20_000) {
      let timer: ReturnType<typeof setTimeout>;
      return Promise.race([
        exit.finally(() => clearTimeout(timer)),
        new Promise<number>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${script} still running after ${ms} ms\nstdout: ${out}\nstderr: ${err}`)), ms);
        }),
      ]);
    },
    kill(signal = "SIGKILL") {
      if (exitCode === undefined) child.kill(signal);
    },
  };
}

/** Sleeps `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 10 ms until it is true or `ms` pass (then throws with `what`). */
export async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(10);
  }
}
