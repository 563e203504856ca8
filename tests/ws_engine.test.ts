/**
 * The ws engine (`engine: "ws"`, Deno only), run in every Deno run of the
 * suite whatever FULLDUPLEX_TEST_ENGINE says (`ws` is a devDependency):
 * what it does that Deno's own engine cannot, each asserted on real
 * sockets (unmasked frames refused with 1002, an oversized message refused
 * from its frame headers, a real terminate() with nothing lingering,
 * permessage-deflate, hook headers on the 101, createHandler's
 * handleNodeUpgrade, a clear error when `ws` is missing). On Bun: the
 * option is refused with an UnsupportedRuntimeError. Every other server
 * test runs on this engine with `npm run test:ws`.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server as HttpServer } from "node:http";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { connect, createHandler, serve, UnsupportedRuntimeError } from "../mod.ts";
import type { CloseInfo, ServeOptions, Server } from "../mod.ts";
import { closeCodeOf, rawConnect } from "./helpers/raw.ts";
import type { RawPeer } from "./helpers/raw.ts";
import { delay, ROOT, RUNTIME, runtimeBin, until } from "./helpers/runtime.ts";

const MiB = 1024 * 1024;
const onBun = RUNTIME !== "deno" && 'engine "ws" is for Deno (the Bun run checks that it is refused)';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Started {
  server: Server;
  closes: CloseInfo[];
  messages: string[];
}

/** A ws-engine server on 127.0.0.1:0 that echoes and records closes and text messages. */
async function start(options: ServeOptions = {}): Promise<Started> {
  const closes: CloseInfo[] = [];
  const messages: string[] = [];
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    engine: "ws",
    idleTimeout: 0,
    message(socket, msg) {
      if (msg.kind === "text") messages.push(msg.text());
      socket.send(msg.kind === "text" ? msg.text() : msg.bytes());
    },
    close: (_socket, info) => void closes.push(info),
    ...options,
  });
  cleanups.push(() => server.shutdown({ timeout: 500 }));
  await server.ready;
  return { server, closes, messages };
}

async function raw(port: number, headers: Record<string, string | null> = {}, path = "/"): Promise<RawPeer> {
  const peer = await rawConnect(port, headers, path);
  cleanups.push(() => peer.destroy());
  return peer;
}

/** permessage-deflate of one message: raw deflate, sync flush, its 00 00 ff ff tail removed (RFC 7692 §7.2.1). */
function deflateMessage(bytes: Uint8Array): Uint8Array {
  const out = deflateRawSync(bytes, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  return out.subarray(0, out.length - 4);
}

/** Inflates one compressed message (its tail put back); no context before it. */
function inflateMessage(payload: Uint8Array): Uint8Array {
  const all = new Uint8Array(payload.length + 4);
  all.set(payload);
  all.set([0, 0, 0xff, 0xff], payload.length);
  return inflateRawSync(all, { finishFlush: 2 });
}

describe(`the ws engine (${RUNTIME})`, () => {
  it("is refused on Bun; perMessageDeflate without it and an unknown engine are refused everywhere", () => {
    if (RUNTIME === "bun") {
      assert.throws(() => serve({ port: 0, engine: "ws" }), UnsupportedRuntimeError);
      assert.throws(() => createHandler({ engine: "ws" }), /engine "ws" is for Deno/);
    }
    assert.throws(() => serve({ port: 0, perMessageDeflate: true }), /perMessageDeflate needs engine "ws"/);
    assert.throws(() => createHandler({ engine: "uws" as "ws" }), TypeError);
    assert.doesNotThrow(() => createHandler({ engine: "native", perMessageDeflate: false }));
  });

  it("a mount method of another engine names the right one", { skip: onBun }, () => {
    assert.throws(() => createHandler({ engine: "ws" }).handleUpgrade(new Request("http://x/")), /use handleNodeUpgrade/);
    const native = createHandler();
    assert.throws(() => native.handleNodeUpgrade({ headers: {}, socket: {} }, {} as never, new Uint8Array()), /ws engine/);
  });

  it("refuses an unmasked client frame with 1002 and closes TCP; nothing is delivered", { skip: onBun }, async () => {
    const t = await start();
    const peer = await raw(t.server.port);
    assert.equal(peer.status, 101);
    peer.sendFrame(0x1, "unmasked hello", { mask: false });
    const frame = await peer.waitFrame((f) => f.opcode === 0x8);
    assert.equal(closeCodeOf(frame), 1002);
    await Promise.race([peer.ended, delay(5000)]);
    assert.equal(peer.isEnded(), true, "TCP closed");
    await until(() => t.closes.length === 1, "the close handler");
    assert.equal(t.closes[0].code, 1002);
    assert.deepEqual(t.messages, [], "the unmasked message was not delivered");
    assert.equal(peer.frames.filter((f) => f.opcode === 0x1).length, 0, "and not answered");
  });

  it(
    "refuses a message over maxMessageBytes before reading it whole: a 60 MiB frame, an endless fragmented one",
    { skip: onBun },
    async () => {
      const t = await start({ maxMessageBytes: MiB });
      // One frame announcing 60 MiB: refused from its header, before any payload is sent.
      const big = await raw(t.server.port);
      big.write(new Uint8Array([0x82, 0x80 | 127, 0, 0, 0, 0, (60 * MiB) >>> 24, 0, 0, 0, 0, 0, 0, 0]));
      assert.equal(closeCodeOf(await big.waitFrame((f) => f.opcode === 0x8)), 1009);
      // Two 1 MiB fragments of a message that never ends (no FIN): refused once the total passes the limit.
      const frag = await raw(t.server.port);
      frag.sendFrame(0x2, new Uint8Array(MiB), { fin: false });
      frag.sendFrame(0x0, new Uint8Array(MiB), { fin: false });
      assert.equal(closeCodeOf(await frag.waitFrame((f) => f.opcode === 0x8)), 1009);
      await until(() => t.closes.length === 2, "both close handlers");
      assert.deepEqual(t.closes.map((c) => c.code), [1009, 1009]);
      assert.equal(t.closes[0].reason, `message exceeds ${MiB} bytes`);
    },
  );

  it("terminate() drops the TCP connection: no close frame, close sees 1006, nothing lingers", { skip: onBun }, async () => {
    const t = await start({ open: (socket) => void setTimeout(() => socket.terminate(), 20), maxConnectionsPerAddress: 1 });
    const peer = await raw(t.server.port);
    await Promise.race([peer.ended, delay(5000)]);
    assert.equal(peer.isEnded(), true, "the TCP connection was dropped");
    assert.equal(peer.frames.filter((f) => f.opcode === 0x8).length, 0, "without a close frame");
    await until(() => t.closes.length === 1, "the close handler");
    assert.equal(t.closes[0].code, 1006);
    assert.equal(t.server.stats.lingering, 0);
    // The address's one slot is free at once (on Deno's engine it would linger until the peer left).
    const next = await raw(t.server.port);
    assert.equal(next.status, 101);
  });

  it(
    "permessage-deflate: off by default; agreed when set; compressed both ways; the decompressed size is limited",
    { skip: onBun },
    async () => {
      const offer = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" };
      const plain = await start();
      const off = await raw(plain.server.port, offer);
      assert.equal(off.status, 101);
      assert.doesNotMatch(off.head, /sec-websocket-extensions/i, "not agreed unless perMessageDeflate is set");

      const t = await start({ perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 0 } });
      const peer = await raw(t.server.port, offer);
      assert.match(peer.head, /\r\nsec-websocket-extensions: permessage-deflate/i);
      const text = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: i, name: "fullduplex" })));
      const wire = deflateMessage(new TextEncoder().encode(text));
      peer.sendFrame(0x1, wire, { rsv: 4 });
      const echo = await peer.waitFrame((f) => f.opcode === 0x1);
      assert.equal(echo.rsv, 4, "the echo came back compressed (RSV1)");
      assert.ok(echo.payload.length < text.length / 4, `compressed: ${echo.payload.length} B for ${text.length}`);
      assert.equal(new TextDecoder().decode(inflateMessage(echo.payload)), text);
      assert.deepEqual(t.messages, [text], "the handler got the text decompressed");

      // A small compressed message that inflates past maxMessageBytes is refused (1009), not inflated whole.
      const bomb = await start({ perMessageDeflate: true, maxMessageBytes: 64 * 1024 });
      const zip = await raw(bomb.server.port, offer);
      const zeros = deflateMessage(new Uint8Array(8 * MiB));
      assert.ok(zeros.length < 16 * 1024, `${zeros.length} B on the wire`);
      zip.sendFrame(0x2, zeros, { rsv: 4 });
      assert.equal(closeCodeOf(await zip.waitFrame((f) => f.opcode === 0x8)), 1009);
      await until(() => bomb.closes.length === 1, "the close handler");
      assert.equal(bomb.closes[0].code, 1009);
    },
  );

  it(
    "puts the upgrade hook's headers and the agreed protocol on the 101, and serves plain HTTP through fetch",
    { skip: onBun },
    async () => {
      const t = await start({
        protocols: ["chat.v2", "chat.v1"],
        upgrade: () => ({ headers: { "x-served-by": "ws engine" } }),
        fetch: (req) => new Response(`plain ${req.method} ${new URL(req.url).pathname}`, { headers: { "set-cookie": "a=1" } }),
      });
      const peer = await raw(t.server.port, { "Sec-WebSocket-Protocol": "chat.v1,chat.v2" });
      assert.equal(peer.status, 101);
      assert.match(peer.head, /\r\nx-served-by: ws engine/i);
      assert.match(peer.head, /\r\nsec-websocket-protocol: chat\.v2/i);
      const res = await fetch(`http://127.0.0.1:${t.server.port}/page`, { method: "POST", body: "x" });
      assert.equal(await res.text(), "plain POST /page");
      assert.equal(res.headers.get("set-cookie"), "a=1");
      // Asking for a WebSocket without `Connection: Upgrade` gets the same 400 as on the other engines.
      const half = await raw(t.server.port, { Connection: null });
      assert.equal(half.status, 400);
    },
  );

  it('createHandler({ engine: "ws" }) mounts in a node:http server through handleNodeUpgrade', { skip: onBun }, async () => {
    const ws = createHandler({ engine: "ws", message: (socket, msg) => socket.send(`echo ${msg.text()}`) });
    const http: HttpServer = createServer((_req, res) => res.end("app"));
    http.on("upgrade", (req, socket, head) => ws.handleNodeUpgrade(req, socket, head));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => (http.close(resolve), http.closeAllConnections())));
    cleanups.push(() => ws.shutdown({ timeout: 500 }));
    const { port } = http.address() as { port: number };
    const c = await connect(`ws://127.0.0.1:${port}`, { timeout: 5000 });
    cleanups.push(() => c.close());
    c.send("hi");
    for await (const msg of c) {
      assert.equal(msg.text(), "echo hi");
      break;
    }
    assert.equal(ws.connections, 1);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "app");
  });

  it("without the ws package, ready rejects with a FullDuplexError that says what to install", { skip: onBun }, async () => {
    // A child process whose import map sends "ws" nowhere.
    const dir = mkdtempSync(join(tmpdir(), "fullduplex-no-ws-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "imports.json"), JSON.stringify({ imports: { ws: `file://${dir}/missing.js` } }));
    const script = `import { serve, FullDuplexError } from "${ROOT}mod.ts";
const server = serve({ port: 0, hostname: "127.0.0.1", engine: "ws" });
await server.ready.then(() => console.log("LISTENING"), (err) => console.log(JSON.stringify({ name: err.name, full: err instanceof FullDuplexError, message: err.message })));
await server.shutdown();`;
    writeFileSync(join(dir, "main.ts"), script);
    const child = spawn(runtimeBin("deno"), ["run", "-A", "--no-check", "--import-map", join(dir, "imports.json"), join(dir, "main.ts")], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    const seen = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { name?: string; full?: boolean; message?: string };
    assert.equal(code, 0);
    assert.equal(seen.name, "FullDuplexError");
    assert.equal(seen.full, true);
    assert.match(seen.message ?? "", /needs the npm package "ws".*deno add npm:ws@\^8/);
  });
});
