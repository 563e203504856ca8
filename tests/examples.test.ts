/**
 * The runnable scripts do and print what the seed articles show: server.ts,
 * client.ts and every example, run on the runtime running this suite.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../mod.ts";
import { RUNTIME, spawnScript } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";
import { nextMessage } from "./helpers/server.ts";

let demo: Spawned;
let url = "";

before(async () => {
  demo = spawnScript(RUNTIME, "server.ts", ["--port", "0", "--host", "127.0.0.1", "--max-message-bytes", "4096"]);
  const m = await demo.waitFor(/WebSocket server listening on (ws:\/\/127\.0\.0\.1:(\d+))/);
  url = m[1];
});
after(async () => {
  demo.kill("SIGINT");
  await demo.exited().catch(() => demo.kill());
});

async function run(script: string, args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  const p = spawnScript(RUNTIME, script, args, input);
  const code = await p.exited(20_000).catch((e) => {
    p.kill();
    throw e;
  });
  return { code, out: p.stdout(), err: p.stderr() };
}

describe(`examples on ${RUNTIME}`, () => {
  it("basic client", async () => {
    const r = await run("examples/basic_client.ts", [url]);
    assert.equal(r.out, "Connected to WebSocket server\nReceived: Echo: Hello from fullduplex!\n");
    assert.equal(r.code, 0);
  });

  it("error handling: two pings, then Connection closed", async () => {
    const r = await run("examples/error_handling.ts", [url]);
    assert.equal(r.out, "Message: Echo: Ping\nMessage: Echo: Ping 2\nConnection closed\n");
    assert.equal(r.code, 0);
  });

  it("error handling: Connection error when nothing listens", async () => {
    const r = await run("examples/error_handling.ts", ["ws://127.0.0.1:1"]);
    assert.match(r.out, /^Connection error: could not connect to ws:\/\/127\.0\.0\.1:1: connection refused/);
    assert.equal(r.code, 1);
  });

  it("binary client", async () => {
    const r = await run("examples/binary_client.ts", [url]);
    assert.equal(r.out, "Received binary: [1, 2, 3, 4, 5]\n");
  });

  it("JSON client", async () => {
    const r = await run("examples/json_client.ts", [url]);
    assert.equal(r.out, "Received JSON: response - Hello Client\n");
  });

  it("echo server and the Flutter article's JSON client", async () => {
    const echo = spawnScript(RUNTIME, "examples/echo_server.ts", ["ws://127.0.0.1:0"]);
    try {
      const m = await echo.waitFor(/WebSocket server listening on (ws:\/\/127\.0\.0\.1:\d+)/);
      const r = await run("examples/flutter_json_client.ts", [m[1], "300"]);
      assert.equal(r.out, 'Received message: Echo: {"message":"Hello, WebSocket!"}\n');
      await echo.waitFor(/Client disconnected/);
      assert.match(echo.stdout(), /Client connected: 1\nReceived: \{"message":"Hello, WebSocket!"\}\nClient disconnected\n/);
      const res = await fetch(m[1].replace("ws:", "http:"));
      assert.equal(res.status, 403);
      await res.body?.cancel();
    } finally {
      echo.kill("SIGINT");
      await echo.exited().catch(() => echo.kill());
    }
  });
});

describe(`client.ts on ${RUNTIME}`, () => {
  it("sends text and prints the first reply", async () => {
    const r = await run("client.ts", [url, "Hello"]);
    assert.equal(r.out, `Connected to ${url}\nReceived: Echo: Hello\n`);
    assert.equal(r.code, 0);
  });

  it("--json and --binary", async () => {
    const j = await run("client.ts", [url, "--json", '{"type":"greeting","content":"Hello Server"}']);
    assert.equal(j.out, `Connected to ${url}\nReceived: {"type":"response","content":"Hello Client"}\n`);
    const b = await run("client.ts", [url, "--binary", "1,2,3"]);
    assert.equal(b.out, `Connected to ${url}\nReceived binary: [1, 2, 3]\n`);
  });

  it("-i sends each stdin line until EOF", async () => {
    const r = await run("client.ts", [url, "-i"], "one\ntwo\n");
    assert.equal(r.out, `Connected to ${url}\nReceived: Echo: one\nReceived: Echo: two\n`);
    assert.equal(r.code, 0);
  });

  it("prints Error: naming the URL and exits non-zero when nothing listens", async () => {
    const r = await run("client.ts", ["ws://127.0.0.1:1", "x"]);
    assert.match(r.err, /^Error: could not connect to ws:\/\/127\.0\.0\.1:1: /);
    assert.notEqual(r.code, 0);
  });
});

describe(`server.ts on ${RUNTIME}`, () => {
  it("speaks the demo protocol and keeps the connection open after errors", async () => {
    const c = await connect(url);
    try {
      c.send("Hello");
      assert.equal((await nextMessage(c)).text(), "Echo: Hello");
      c.send('{"type":"greeting","content":"Hello Server"}');
      assert.deepEqual((await nextMessage(c)).json(), { type: "response", content: "Hello Client" });
      c.send('{"type":"dance"}');
      const unknown = (await nextMessage(c)).json<{ type: string; error: string }>();
      assert.equal(unknown.type, "error");
      assert.match(unknown.error, /unknown message type "dance"/);
      c.send("  {not json");
      const invalid = (await nextMessage(c)).json<{ type: string; error: string }>();
      assert.equal(invalid.type, "error");
      assert.match(invalid.error, /^invalid JSON: /);
      c.send("[1,2]");
      assert.equal((await nextMessage(c)).json<{ type: string }>().type, "error");
      c.send(new Uint8Array([7, 0, 255]));
      assert.deepEqual([...(await nextMessage(c)).bytes()], [7, 0, 255]);
      assert.equal(c.readyState, 1);
      c.send("x".repeat(4097));
      assert.equal((await c.closed).code, 1009);
    } finally {
      if (c.readyState < 2) await c.close();
    }
  });

  it("serves the page at / and 404 elsewhere", async () => {
    const http = url.replace("ws:", "http:");
    const page = await fetch(`${http}/`);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await page.text(), /<title>fullduplex demo<\/title>/);
    const missing = await fetch(`${http}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });

  it("--quiet prints nothing but the listening line", async () => {
    const s = spawnScript(RUNTIME, "server.ts", ["--port", "0", "--host", "127.0.0.1", "--quiet"]);
    try {
      const m = await s.waitFor(/listening on (ws:\/\/127\.0\.0\.1:\d+)/);
      const c = await connect(m[1]);
      c.send("quiet");
      assert.equal((await nextMessage(c)).text(), "Echo: quiet");
      c.send(new Uint8Array(65536));
      assert.equal((await nextMessage(c)).bytes().length, 65536);
      await c.close();
      s.kill("SIGINT");
      await s.exited();
      assert.equal(s.stdout(), `WebSocket server listening on ${m[1]}\n`);
    } finally {
      s.kill();
    }
  });

  it("logs connections and messages, and SIGINT closes peers with 1001", async () => {
    const s = spawnScript(RUNTIME, "server.ts", ["--port", "0", "--host", "127.0.0.1"]);
    try {
      const m = await s.waitFor(/listening on (ws:\/\/127\.0\.0\.1:\d+)/);
      const c = await connect(m[1]);
      c.send("logged");
      await nextMessage(c);
      await s.waitFor(/Received: logged/);
      // Short binary messages print like the Dart tutorial's list; long ones by size and first bytes.
      c.send(new Uint8Array([1, 2, 3, 4, 5]));
      await nextMessage(c);
      await s.waitFor(/Received binary: \[1, 2, 3, 4, 5\]\n/);
      c.send(new Uint8Array(65536).map((_, i) => i & 255));
      assert.equal((await nextMessage(c)).bytes().length, 65536);
      await s.waitFor(/Received binary: 65536 bytes \[0, 1, 2, 3, 4, 5, 6, 7, …\]\n/);
      c.send("y".repeat(5000));
      await nextMessage(c);
      await s.waitFor(/Received: y{64}… \(5000 characters\)\n/);
      assert.match(s.stdout(), /Client connected: [0-9a-f-]{36} from 127\.0\.0\.1:\d+/);
      s.kill("SIGINT");
      const info = await c.closed;
      assert.deepEqual(info, { code: 1001, reason: "server shutting down" });
      const code = await s.exited();
      // Deno's node:child_process reports a child it signalled as killed by
      // that signal even when the child exited 0 (Node and Bun report 0), so
      // the exit code is only checked from Bun.
      if (RUNTIME === "bun") assert.equal(code, 0);
      assert.match(s.stdout(), /Shutting down\n/);
    } finally {
      s.kill();
    }
  });
});
