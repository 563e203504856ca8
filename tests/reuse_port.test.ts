/**
 * `serve({ reusePort: true })`: several server processes listen on one
 * port and the kernel (Linux) hands each new connection to one of them.
 * Each process here (tests/fixtures/pid_server.ts) greets a connection with
 * its pid; connections are opened one by one until every process has
 * answered (bounded: a few hundred at most, where chance alone would take
 * a handful). Also: a process without `reusePort` cannot share the port,
 * and on Deno without --unstable-net serve() throws instead of letting
 * Deno end the process.
 */

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import process from "node:process";
import { connect, serve, UnsupportedRuntimeError } from "../mod.ts";
import { denoHasUnstableNet } from "../src/adapters/deno_api.ts";
import { OTHER_RUNTIME, ROOT, RUNTIME, runtimeBin } from "./helpers/runtime.ts";
import { nextMessage } from "./helpers/server.ts";

const FIXTURE = "tests/fixtures/pid_server.ts";

/** A fixture process and the first line it printed. */
interface PidServer {
  child: ChildProcess;
  pid: number;
  /** `listening <port>` or `failed <why>`. */
  first: Promise<string>;
  exited: Promise<number>;
}

const running = new Set<PidServer>();

/** Starts the fixture on a runtime (Deno with --unstable-net, which reusePort needs there). */
function start(runtime: "deno" | "bun", port: number, mode: "reuse" | "no-reuse" = "reuse"): PidServer {
  const argv = runtime === "deno" ? ["run", "-A", "--no-check", "--unstable-net", FIXTURE] : ["run", FIXTURE];
  const child = spawn(runtimeBin(runtime), [...argv, String(port), mode], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => (err += d));
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 128)));
  const first = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime} ${FIXTURE} printed nothing in 20 s: ${out}${err}`)), 20_000);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => {
      out += d;
      const line = /^(listening \d+|failed .*)$/m.exec(out);
      if (line !== null) {
        clearTimeout(timer);
        resolve(line[1]);
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${runtime} ${FIXTURE} exited (${code}) before a line: ${out}${err}`));
    });
  });
  const server = { child, pid: child.pid!, first, exited };
  running.add(server);
  return server;
}

async function listening(server: PidServer): Promise<number> {
  const line = await server.first;
  const m = /^listening (\d+)$/.exec(line);
  if (m === null) throw new Error(`expected "listening <port>", got "${line}"`);
  return Number(m[1]);
}

async function stop(server: PidServer): Promise<void> {
  running.delete(server);
  server.child.stdin!.end(); // the fixture shuts down on stdin EOF
  const killer = setTimeout(() => server.child.kill("SIGKILL"), 5000);
  await server.exited;
  clearTimeout(killer);
}

/** Opens connections to `port` one at a time until every pid in `expected` has greeted one (at most `limit`). */
async function greeters(port: number, expected: number[], limit: number): Promise<Map<number, number>> {
  const seen = new Map<number, number>();
  for (let i = 0; i < limit && expected.some((pid) => !seen.has(pid)); i++) {
    const client = await connect(`ws://127.0.0.1:${port}`, { reconnect: false });
    try {
      const pid = Number((await nextMessage(client)).text());
      seen.set(pid, (seen.get(pid) ?? 0) + 1);
    } finally {
      await client.close();
    }
  }
  return seen;
}

after(async () => {
  await Promise.all([...running].map(stop));
});

describe(`reusePort on ${RUNTIME}`, () => {
  for (const other of [RUNTIME, OTHER_RUNTIME]) {
    it(`a ${RUNTIME} and a ${other} process on one port both accept connections`, async () => {
      const a = start(RUNTIME, 0);
      const port = await listening(a);
      const b = start(other, port);
      try {
        assert.equal(await listening(b), port);
        const seen = await greeters(port, [a.pid, b.pid], 200);
        assert.deepEqual([...seen.keys()].sort(), [a.pid, b.pid].sort(), `greeted by ${JSON.stringify([...seen])}`);
      } finally {
        await Promise.all([stop(a), stop(b)]);
      }
    });
  }

  it("a process without reusePort cannot share the port", async () => {
    const a = start(RUNTIME, 0);
    const port = await listening(a);
    const b = start(RUNTIME, port, "no-reuse");
    try {
      assert.match(await b.first, /^failed /);
      assert.equal(await b.exited, 1);
      const seen = await greeters(port, [a.pid], 1);
      assert.deepEqual([...seen.keys()], [a.pid]);
    } finally {
      await Promise.all([stop(a), stop(b)]);
    }
  });

  it("without --unstable-net on Deno, serve() throws instead of Deno ending the process", { skip: RUNTIME !== "deno" }, async () => {
    if (denoHasUnstableNet()) {
      // Run with the flag (npm test runs without): then it simply listens.
      const server = serve({ hostname: "127.0.0.1", port: 0, reusePort: true });
      await server.shutdown();
      return;
    }
    assert.throws(
      () => serve({ hostname: "127.0.0.1", port: 0, reusePort: true }),
      (err: unknown) => err instanceof UnsupportedRuntimeError && /--unstable-net/.test(err.message),
    );
  });
});
