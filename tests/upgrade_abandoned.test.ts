// A client that goes away while an async `upgrade` hook runs must not keep
// its maxConnections slot. Bun refuses it (400). Deno answers 101 to the
// vanished client anyway and then fires neither open nor close: the adapter
// gives up after closeTimeout (tests/unit/adapters.test.ts checks that on a
// fake Deno socket). End to end this runs on Bun and on the ws engine (which
// sees that the socket is gone and gives the slot back at once), not on
// Deno's engine, because Deno.serve's own shutdown() then waits forever for
// that dead upgraded connection (an engine limit, README "Runtime
// behaviour"), which would hang the runner.
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect as tcpConnect } from "node:net";
import { connect } from "../mod.ts";
import { serve } from "./helpers/engine.ts";
import type { Server } from "../mod.ts";
import { until } from "./helpers/runtime.ts";
import { ENGINE } from "./helpers/engine.ts";

let server: Server | undefined;
afterEach(async () => {
  await server?.shutdown({ timeout: 500 });
  server = undefined;
});

describe(`an upgrade abandoned during the hook (${ENGINE})`, () => {
  const denoHangs = ENGINE === "deno" ? "Deno.serve's shutdown waits forever for the dead upgraded connection" : false;
  it("gives its maxConnections slot back within closeTimeout", { skip: denoHangs }, async () => {
    let entered!: () => void;
    const inHook = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    server = serve({
      port: 0,
      hostname: "127.0.0.1",
      maxConnections: 1,
      closeTimeout: 0.2,
      async upgrade() {
        if (calls++ === 0) {
          entered();
          await gate;
        }
      },
      message: (socket, msg) => socket.send(msg.text()),
    });
    await server.ready;
    const tcp = tcpConnect(server.port, "127.0.0.1");
    await new Promise<void>((resolve) => tcp.once("connect", () => resolve()));
    tcp.write(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    await inHook;
    assert.equal(server.stats.pendingUpgrades, 1);
    tcp.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const s = server;
    await until(() => s.stats.pendingUpgrades === 0 && s.connections === 0, "the abandoned upgrade's slot to come back", 5000);
    // The one slot is free again: a new client gets in and is served.
    const ws = await connect(server.url.replace("localhost", "127.0.0.1"));
    ws.send("hello");
    for await (const msg of ws) {
      assert.equal(msg.text(), "hello");
      break;
    }
    await ws.close();
  });
});
