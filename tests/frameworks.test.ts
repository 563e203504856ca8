/**
 * fullduplex mounted in the frameworks people use, end to end: each example
 * in examples/frameworks/ is started on its runtime (Hono on Deno from the
 * Deno run of this suite; Hono and Elysia on Bun from the Bun run), then real
 * clients join rooms over WebSocket while the framework keeps serving HTTP:
 * a message reaches the others in its room and no other room, an HTTP route
 * publishes to a room, a plain GET of the WebSocket route gets 426, and
 * SIGINT closes every client with 1001.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../mod.ts";
import type { Client } from "../mod.ts";
import { RUNTIME, spawnScript, until } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";

/** The examples, each with its runtime and the text its GET / answers. */
const EXAMPLES = [
  { file: "examples/frameworks/hono.deno.ts", runtime: "deno", home: "Hono on Deno, with fullduplex at /ws\n" },
  { file: "examples/frameworks/hono.bun.ts", runtime: "bun", home: "Hono on Bun, with fullduplex at /ws\n" },
  { file: "examples/frameworks/elysia.bun.ts", runtime: "bun", home: "Elysia on Bun, with fullduplex at /ws\n" },
] as const;

/** A client in a room, with every JSON message it received. */
interface Member {
  client: Client;
  received: Record<string, unknown>[];
}

async function join(base: string, room: string): Promise<Member> {
  const client = await connect(`${base.replace("http:", "ws:")}/ws?room=${room}`, { timeout: 10_000 });
  const received: Record<string, unknown>[] = [];
  client.on("message", (msg) => received.push(msg.json()));
  // The server subscribes in `open` and then says so: from here on the member gets the room's messages.
  await until(() => received.length > 0, `the "joined" message for room ${room}`, 10_000);
  assert.deepEqual(received.shift(), { type: "joined", room });
  return { client, received };
}

for (const example of EXAMPLES) {
  const otherRuntime = example.runtime !== RUNTIME && `runs in the ${example.runtime} run of the suite`;
  describe(`${example.file} (${example.runtime})`, { skip: otherRuntime }, () => {
    let app: Spawned;
    let base = "";
    before(async () => {
      app = spawnScript(RUNTIME, example.file, ["0", "127.0.0.1"]);
      base = (await app.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1];
    });
    after(async () => {
      app.kill("SIGINT");
      await app.exited().catch(() => app.kill());
    });

    it("the framework's own routes still work, and GET /ws without an upgrade gets 426", async () => {
      const home = await fetch(`${base}/`);
      assert.equal(home.status, 200);
      assert.equal(await home.text(), example.home);
      const plain = await fetch(`${base}/ws`);
      assert.equal(plain.status, 426);
      await plain.body?.cancel();
    });

    it("rooms: a message reaches the others in its room only; HTTP publishes too; SIGINT closes with 1001", async () => {
      const ann = await join(base, "lobby");
      const bob = await join(base, "lobby");
      const cat = await join(base, "kitchen");
      try {
        ann.client.send("hi from ann");
        await until(() => bob.received.length === 1, "bob to get ann's message");
        assert.deepEqual(bob.received[0], { type: "message", room: "lobby", text: "hi from ann" });

        // An HTTP route of the framework publishes through the same endpoint.
        const res = await fetch(`${base}/rooms/kitchen`, { method: "POST", body: "soup is ready" });
        assert.deepEqual(await res.json(), { delivered: 1 });
        await until(() => cat.received.length === 1, "cat to get the HTTP message");
        // The first thing cat got is the kitchen's: ann's lobby message never reached the kitchen.
        assert.deepEqual(cat.received, [{ type: "message", room: "kitchen", text: "soup is ready", from: "http" }]);

        const lobby = await fetch(`${base}/rooms/lobby`, { method: "POST", body: "meeting at 3" });
        assert.deepEqual(await lobby.json(), { delivered: 2 });
        await until(() => ann.received.length === 1 && bob.received.length === 2, "both lobby members to get it");
        // Ann's own message did not come back to her: the first thing she got is the HTTP one.
        assert.deepEqual(ann.received, [{ type: "message", room: "lobby", text: "meeting at 3", from: "http" }]);

        app.kill("SIGINT");
        const closes = await Promise.all([ann, bob, cat].map((m) => m.client.closed));
        for (const info of closes) assert.equal(info.code, 1001);
      } finally {
        for (const m of [ann, bob, cat]) if (m.client.readyState < 2) await m.client.close();
      }
    });
  });
}
