/**
 * examples/reconnecting_client.ts against the demo server: a short run, and
 * a run during which the demo server process is killed and started again
 * on the same port.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RUNTIME, spawnScript } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";

const running: Spawned[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.kill();
    await p.exited().catch(() => {});
  }
});

function start(script: string, args: string[]): Spawned {
  const p = spawnScript(RUNTIME, script, args);
  running.push(p);
  return p;
}

async function demoServer(port: number): Promise<string> {
  const s = start("server.ts", ["--port", String(port), "--host", "127.0.0.1", "--quiet"]);
  return (await s.waitFor(/listening on (ws:\/\/127\.0\.0\.1:\d+)/))[1];
}

describe(`examples/reconnecting_client.ts on ${RUNTIME}`, () => {
  it("a short run: every tick echoed, then closed", async () => {
    const url = await demoServer(0);
    const ex = start("examples/reconnecting_client.ts", [url, "3", "20"]);
    assert.equal(await ex.exited(), 0, ex.stderr());
    assert.equal(
      ex.stdout(),
      `Connected to ${url}\nReceived: Echo: tick 1\nReceived: Echo: tick 2\nReceived: Echo: tick 3\nClosed (1000)\n`,
    );
  });

  it("rides out a server restart on the same port", async () => {
    const url = await demoServer(0);
    const port = Number(url.split(":").at(-1));
    const ex = start("examples/reconnecting_client.ts", [url, "12", "50"]);
    await ex.waitFor(/Received: Echo: tick 2\n/);
    const first = running[0];
    first.kill("SIGKILL");
    await first.exited();
    await ex.waitFor(/Connection lost \(1006\); reconnecting \(attempt 1\) in \d+ ms/);
    await demoServer(port);
    assert.equal(await ex.exited(), 0, ex.stderr());
    const out = ex.stdout();
    assert.match(out, new RegExp(`Reconnected to ${url.replaceAll(".", "\\.")}\n`));
    assert.match(out, /Received: Echo: tick 12\nClosed \(1000\)\n$/);
  });
});
