/**
 * Starting and stopping benchmark processes (servers, the load generator,
 * the micro-benchmark) from the runner, with bounded waits throughout.
 *
 * @module
 */

import { memoryBytes } from "./proc.ts";
import { commandFor } from "./targets.ts";
import type { RuntimeName, Target } from "./targets.ts";
import type { ServerMode } from "./servers/mode.ts";

/** A running server. */
export interface RunningServer {
  target: Target;
  pid: number;
  port: number;
  /** Set when the server cannot run this scenario yet (e.g. no topics API). */
  unavailable?: string;
  child: Deno.ChildProcess;
  stderr(): string;
}

/** Keeps the last `limit` characters of a stream, reading it to the end in the background. */
function tail(stream: ReadableStream<Uint8Array>, limit = 4000): () => string {
  let text = "";
  (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text = (text + chunk).slice(-limit);
    }
  })().catch(() => {});
  return () => text;
}

/** Starts a target's server in `mode` and waits (at most 20 s) for its `READY <port>` line. */
export async function startServer(target: Target, mode: ServerMode): Promise<RunningServer> {
  const [cmd, ...args] = commandFor(target.runtime, target.script, [mode]);
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped", env: { NO_COLOR: "1" } }).spawn();
  const stderr = tail(child.stderr);
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((
    _,
    reject,
  ) => (timer = setTimeout(() => reject(new Error(`${target.id} did not print READY within 20 s`)), 20_000)));
  const ready = (async () => {
    while (true) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`${target.id} exited before READY: ${stderr().trim()}`);
      buffered += value;
      const match = /^READY (\d+)(.*)$/m.exec(buffered);
      if (match !== null) return match;
    }
  })();
  try {
    const match = await Promise.race([ready, timeout]);
    // Keep draining stdout so the server can never block on a full pipe.
    (async () => {
      while (!(await lines.read()).done) { /* discard */ }
    })().catch(() => {});
    const unavailable = match[2].includes("fanout=unavailable")
      ? "not available yet: fullduplex has no server.publish (topics are being added)"
      : undefined;
    return { target, pid: child.pid, port: Number(match[1]), unavailable, child, stderr };
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the server's peak RSS, then stops it (SIGTERM, SIGKILL after 3 s). Returns the peak RSS in bytes. */
export async function stopServer(server: RunningServer): Promise<number> {
  let peak = NaN;
  try {
    peak = memoryBytes(server.pid, "VmHWM");
  } catch { /* already exited */ }
  try {
    server.child.kill("SIGTERM");
  } catch { /* already exited */ }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = await Promise.race([
    server.child.status.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 3000))),
  ]);
  clearTimeout(timer);
  if (!killed) {
    try {
      server.child.kill("SIGKILL");
    } catch { /* gone */ }
    await server.child.status;
  }
  return peak;
}

/** Runs a script to completion (killed after `timeoutMs`) and returns the JSON of its `RESULT` line. */
export async function runForResult<T>(runtime: RuntimeName, script: string, args: string[], timeoutMs: number): Promise<T> {
  const [cmd, ...rest] = commandFor(runtime, script, args);
  const out = await new Deno.Command(cmd, {
    args: rest,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined) {
    const stderr = new TextDecoder().decode(out.stderr).trim().slice(-600);
    throw new Error(`${script} on ${runtime} printed no RESULT (exit ${out.code}${out.signal ? ", " + out.signal : ""}): ${stderr}`);
  }
  return JSON.parse(line.slice("RESULT ".length)) as T;
}

/** The first line a command prints (versions), or `unknown`. */
export async function firstLine(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).split("\n")[0].trim() || "unknown";
  } catch {
    return "unknown";
  }
}
