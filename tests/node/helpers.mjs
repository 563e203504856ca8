// Helpers for the tests Node.js runs (node --test): the npm package smoke
// tests and the browser end-to-end test. They drive Deno, Bun and Chromium as
// child processes, so they live outside the suite `deno test`/`bun test` run
// (file names *.node.mjs do not match their test patterns).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Path of a tool from node_modules/.bin. */
export const bin = (name) => `${ROOT}node_modules/.bin/${name}`;

/**
 * Starts a process and collects its output.
 * `waitFor(re, ms)` resolves with the first match in stdout;
 * `exited(ms)` resolves with { code, stdout, stderr } (it kills after ms).
 */
export function start(cmd, args, { cwd = ROOT, env = {}, input } = {}) {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let exit;
  const listeners = new Set();
  const poke = () => listeners.forEach((f) => f());
  child.stdout.setEncoding("utf8").on("data", (d) => {
    stdout += d;
    poke();
  });
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise((resolve) =>
    child.on("close", (code, signal) => {
      exit = code ?? (signal ? 128 : 1);
      poke();
      resolve(exit);
    })
  );
  if (input !== undefined) child.stdin.end(input);
  const describe = () => `${cmd} ${args.join(" ")}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitFor(re, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = stdout.match(re);
          if (m) finish(() => resolve(m));
          else if (exit !== undefined) finish(() => reject(new Error(`exited (${exit}) before printing ${re}: ${describe()}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no ${re} within ${ms} ms: ${describe()}`))), ms);
        const finish = (f) => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      });
    },
    async exited(ms = 60_000) {
      const timer = setTimeout(() => child.kill("SIGKILL"), ms);
      const code = await done.finally(() => clearTimeout(timer));
      return { code, stdout, stderr, describe };
    },
    kill(signal = "SIGKILL") {
      if (exit === undefined) child.kill(signal);
      return done;
    },
  };
}

/** Runs a command to the end (killed after `ms`); rejects with its output unless it exits 0. */
export async function run(cmd, args, options = {}, ms = 120_000) {
  const p = start(cmd, args, options);
  const r = await p.exited(ms);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.describe()}`);
  return r;
}
