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

/** What to start: a script on a runtime (Deno may need extra flags, e.g. `--unstable-net` for reusePort). */
export interface ProcessSpec {
  /** For messages, e.g. `fullduplex-bun` or `bun+bun #2`. */
  name: string;
  runtime: RuntimeName;
  /** Relative to the repository root. */
  script: string;
  args: string[];
  denoFlags?: string[];
}

/** A running server process: its pid and the port from its `READY <port>` line. */
export interface ServerProcess {
  spec: ProcessSpec;
  pid: number;
  port: number;
  /** The rest of the READY line (e.g. `fanout=unavailable`, `pid=123`). */
  readyExtra: string;
  child: Deno.ChildProcess;
  stderr(): string;
}

/** A running target server (bench/targets.ts). */
export interface RunningServer extends ServerProcess {
  target: Target;
  /** Set when the server cannot run this scenario yet (e.g. no topics API). */
  unavailable?: string;
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

/** Starts a process and waits (at most 20 s) for its `READY <port>` line; kills it if that does not come. */
export async function startProcess(spec: ProcessSpec): Promise<ServerProcess> {
  const [cmd, ...args] = commandFor(spec.runtime, spec.script, spec.args, spec.denoFlags);
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped", env: { NO_COLOR: "1" } }).spawn();
  const stderr = tail(child.stderr);
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((
    _,
    reject,
  ) => (timer = setTimeout(() => reject(new Error(`${spec.name} did not print READY within 20 s`)), 20_000)));
  const ready = (async () => {
    while (true) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`${spec.name} exited before READY: ${stderr().trim()}`);
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
    return { spec, pid: child.pid, port: Number(match[1]), readyExtra: match[2].trim(), child, stderr };
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts a target's server in `mode` and waits (at most 20 s) for its `READY <port>` line. */
export async function startServer(target: Target, mode: ServerMode): Promise<RunningServer> {
  const server = await startProcess({ name: target.id, runtime: target.runtime, script: target.script, args: [mode] });
  const unavailable = server.readyExtra.includes("fanout=unavailable")
    ? "not available yet: fullduplex has no server.publish (topics are being added)"
    : undefined;
  return { ...server, target, unavailable };
}

/** Reads the server's peak RSS, then stops it (SIGTERM, SIGKILL after 3 s). Returns the peak RSS in bytes. */
export async function stopServer(server: ServerProcess): Promise<number> {
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
