/**
 * `releaseReceivedBuffers`: on Deno a binary message's buffer is freed as
 * soon as a synchronous handler returns (what it sent went out intact); on
 * Bun and on the ws engine the option changes nothing.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Client, Message } from "../mod.ts";
import { client, nextMessage, startServer } from "./helpers/server.ts";
import type { TestServer } from "./helpers/server.ts";
import { until } from "./helpers/runtime.ts";
import { ENGINE } from "./helpers/engine.ts";

let ts: TestServer | undefined;
let c: Client | undefined;
afterEach(async () => {
  if (c !== undefined && c.readyState < 2) await c.close();
  await ts?.stop();
  ts = c = undefined;
});

/** Starts a server that echoes binary and keeps every Message it got. */
async function keepingServer(release: boolean | undefined, kept: Message[]): Promise<Client> {
  ts = await startServer({
    releaseReceivedBuffers: release,
    message(socket, msg) {
      kept.push(msg);
      socket.send(msg.kind === "binary" ? msg.bytes() : msg.text());
    },
  });
  return (c = await client(ts));
}

describe(`releaseReceivedBuffers on ${ENGINE}`, () => {
  it("rejects a value that is not a boolean", async () => {
    await assert.rejects(async () => await startServer({ releaseReceivedBuffers: "yes" as unknown as boolean }), TypeError);
  });

  it("echoes intact, and frees the bytes after the handler on Deno's engine only", async () => {
    const kept: Message[] = [];
    c = await keepingServer(true, kept);
    const payload = new Uint8Array(4096).map((_, i) => i & 0xff);
    c.send(payload);
    const echo = await nextMessage(c);
    assert.deepEqual(echo.bytes(), payload, "what the handler sent went out intact");
    c.send("text is never touched");
    assert.equal((await nextMessage(c)).text(), "text is never touched");
    await until(() => kept.length === 2, "two messages kept");
    // Deno: the received ArrayBuffer was detached once the handler returned.
    // Bun hands over memory it manages itself; the option does nothing there. Nor on
    // the ws engine: its messages are Buffers, and ws may still hold what was sent from one.
    assert.equal(kept[0].bytes().byteLength, ENGINE === "deno" ? 0 : 4096);
    assert.equal(kept[1].text(), "text is never touched");
  });

  it("leaves kept bytes alone by default", async () => {
    const kept: Message[] = [];
    c = await keepingServer(undefined, kept);
    c.send(new Uint8Array([1, 2, 3]));
    await nextMessage(c);
    assert.deepEqual([...kept[0].bytes()], [1, 2, 3]);
  });

  it("leaves an async handler's bytes alone", async () => {
    let later: Uint8Array | undefined;
    ts = await startServer({
      releaseReceivedBuffers: true,
      async message(socket, msg) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        later = msg.bytes();
        socket.send(later);
      },
    });
    c = await client(ts);
    c.send(new Uint8Array([9, 8, 7]));
    assert.deepEqual([...(await nextMessage(c)).bytes()], [9, 8, 7]);
    assert.deepEqual([...later!], [9, 8, 7]);
  });
});
