/**
 * Cross-runtime interop: a server on this runtime with a client on the
 * other, and the other way round (the other runtime is spawned from
 * node_modules/.bin).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../mod.ts";
import { OTHER_RUNTIME, RUNTIME, spawnScript } from "./helpers/runtime.ts";
import { nextMessage, startServer } from "./helpers/server.ts";

describe(`interop: ${RUNTIME} <-> ${OTHER_RUNTIME}`, () => {
  it(`a ${OTHER_RUNTIME} client talks to a ${RUNTIME} server`, async () => {
    const ts = await startServer({
      message(socket, msg) {
        socket.send(msg.kind === "binary" ? msg.bytes() : `Echo: ${msg.text()}`);
      },
    });
    try {
      const text = spawnScript(OTHER_RUNTIME, "client.ts", [ts.url, "from the other side"]);
      assert.equal(await text.exited(), 0, text.stderr());
      assert.equal(text.stdout(), `Connected to ${ts.url}\nReceived: Echo: from the other side\n`);
      const bin = spawnScript(OTHER_RUNTIME, "client.ts", [ts.url, "--binary", "4,5,6"]);
      assert.equal(await bin.exited(), 0, bin.stderr());
      assert.match(bin.stdout(), /Received binary: \[4, 5, 6\]/);
      await ts.waitCloses(2);
      assert.deepEqual(ts.closes.map((c) => c.info), [{ code: 1000, reason: "done" }, { code: 1000, reason: "done" }]);
    } finally {
      await ts.stop();
    }
  });

  it(`a ${RUNTIME} client talks to a ${OTHER_RUNTIME} server`, async () => {
    const server = spawnScript(OTHER_RUNTIME, "server.ts", ["--port", "0", "--host", "127.0.0.1", "--quiet"]);
    try {
      const m = await server.waitFor(/listening on (ws:\/\/127\.0\.0\.1:\d+)/);
      const c = await connect(m[1]);
      c.sendJson({ type: "greeting", content: "Hello Server" });
      assert.deepEqual((await nextMessage(c)).json(), { type: "response", content: "Hello Client" });
      c.send(new Uint8Array([1, 2, 3]));
      assert.deepEqual([...(await nextMessage(c)).bytes()], [1, 2, 3]);
      await c.close(4000, "interop done");
      assert.equal(c.closeCode, 4000);
    } finally {
      server.kill("SIGINT");
      await server.exited().catch(() => server.kill());
    }
  });
});
