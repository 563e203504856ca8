/**
 * wss:// on both runtimes: `serve({ tls: { cert, key } })` with a leaf
 * certificate signed by a private CA generated with openssl at test time
 * (rustls, under Deno, refuses a self-signed CA certificate as the server's
 * own: CaUsedAsEndEntity), and `connect(url, { ca })` trusting that CA.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, ConnectError } from "../mod.ts";
import { nextMessage, startServer } from "./helpers/server.ts";
import { makeCertificates } from "./helpers/certificates.ts";
import type { TestServer } from "./helpers/server.ts";
import { until } from "./helpers/runtime.ts";

let dir = "";
let ca = "";
let ts: TestServer | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "fullduplex-tls-"));
  try {
    makeCertificates(dir);
  } catch (err) {
    throw new Error(`openssl could not make test certificates (install it: scripts/install-system-deps.sh): ${err}`);
  }
  ca = readFileSync(join(dir, "ca.pem"), "utf8");
  ts = await startServer({
    tls: { cert: readFileSync(join(dir, "leaf.pem"), "utf8"), key: readFileSync(join(dir, "leaf.key"), "utf8") },
    message(socket, msg) {
      if (msg.kind === "binary") socket.send(msg.bytes());
      else if (msg.text().startsWith("{")) socket.sendJson({ got: msg.json() });
      else socket.send(`Echo: ${msg.text()}`);
    },
  });
});

after(async () => {
  await ts?.stop();
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("tls", () => {
  it("serves wss:// and says so in server.url", () => {
    assert.match(ts!.server.url, /^wss:\/\/127\.0\.0\.1:\d+$/);
  });

  it("carries text, binary and JSON over wss with connect({ ca })", async () => {
    const closesBefore = ts!.closes.length;
    const c = await connect(`wss://127.0.0.1:${ts!.port}`, { ca, timeout: 5000 });
    try {
      c.send("hello");
      assert.equal((await nextMessage(c)).text(), "Echo: hello");
      c.send(new Uint8Array([0, 1, 2, 255]));
      const bin = await nextMessage(c);
      assert.equal(bin.kind, "binary");
      assert.deepEqual([...bin.bytes()], [0, 1, 2, 255]);
      c.sendJson({ type: "greeting", content: "Hello Server" });
      assert.deepEqual((await nextMessage(c)).json(), { got: { type: "greeting", content: "Hello Server" } });
      const big = new Uint8Array(200_000).map((_, i) => i & 255);
      c.send(big);
      assert.deepEqual((await nextMessage(c)).bytes(), big);
    } finally {
      await c.close();
    }
    // The ws engine's close event comes once the TLS socket has closed, which may be just after the client's close resolved.
    await until(() => ts!.closes.length > closesBefore, "the server's close handler");
    const info = ts!.closes.at(-1)!.info;
    assert.equal(info.code, 1000);
  });

  it("refuses a server certificate from an unknown CA without { ca }", async () => {
    await assert.rejects(connect(`wss://127.0.0.1:${ts!.port}`, { timeout: 5000 }), ConnectError);
  });

  it("a plain ws:// client cannot talk to the wss:// port", async () => {
    await assert.rejects(connect(`ws://127.0.0.1:${ts!.port}`, { timeout: 5000 }), ConnectError);
  });
});
