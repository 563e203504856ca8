/**
 * One echo server, two engines, both on Deno (issue 16, part 5): the npm
 * package `ws` through `node:http`'s `upgrade` event, or Deno's native
 * engine (Deno.serve + Deno.upgradeWebSocket). Driven by
 * bench/investigate/ws_deno.ts from another process, so its RSS and CPU
 * are the server's alone (/proc/<pid>/).
 *
 * Usage: `deno run -A --v8-flags=--expose-gc ws_deno_server.ts <ws|ws-bufferutil|native> ['<options JSON>']`
 * with options `{ maxPayload?: number, perMessageDeflate?: boolean }`
 * (`maxPayload` is ws's own option; on native it is checked in JS on each
 * whole message, as fullduplex does on Deno: close 1009). `ws-bufferutil`
 * is ws loaded from `$WS_BUFFERUTIL_DIR/node_modules` (ws with its optional
 * native `bufferutil` beside it, loaded through Deno's Node-API support:
 * masking in C instead of a JS loop; Deno loads the addon only with
 * --allow-ffi, else bufferutil silently uses its JS fallback). Prints
 * `READY <port>`, then:
 *
 * - `/` (any path but the two below): every message echoed as it came, no
 *   command check on the hot path;
 * - `/stuck?n=N&size=S`: sends N binary messages of S bytes to that socket
 *   (5,000 per macrotask), then prints `SENT <n> <bufferedAmount>`;
 * - `/ctl`: text commands, each answered with one text message:
 *   `stats` (JSON: open sockets, the stuck sockets' bufferedAmount, V8's
 *   heapUsed and external bytes),
 *   `gc` (a full GC), `drop` (every stuck socket: ws `terminate()`; native
 *   `close(1001)`, the most Deno offers), `engine` (what the engine is:
 *   the socket class ws got from node:http, ws's version).
 *
 * @module
 */

import { createServer } from "node:http";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { createRequire } from "node:module";
import * as wsPackage from "ws";
import type { WebSocket as WsSocket } from "ws";

const engine = Deno.args[0];
if (engine !== "ws" && engine !== "ws-bufferutil" && engine !== "native") {
  throw new RangeError(`engine must be ws, ws-bufferutil or native, not ${engine}`);
}
const bufferutilDir = Deno.env.get("WS_BUFFERUTIL_DIR");
if (engine === "ws-bufferutil" && bufferutilDir === undefined) throw new Error("ws-bufferutil needs WS_BUFFERUTIL_DIR");
/** Where ws is loaded from: the project's node_modules, or the directory that has bufferutil beside it. */
const wsRequire = createRequire(engine === "ws-bufferutil" ? `${bufferutilDir}/node_modules/ws/` : import.meta.url);
const { WebSocketServer } = engine === "ws-bufferutil" ? (wsRequire("ws") as typeof wsPackage) : wsPackage;
const options = JSON.parse(Deno.args[1] ?? "{}") as { maxPayload?: number; perMessageDeflate?: boolean };

/** What the control commands need from a socket on either engine. */
interface Handle {
  send(data: string | Uint8Array): void;
  readonly bufferedAmount: number;
  drop(): void;
}

const stuck = new Set<Handle>();
let open = 0;
let engineInfo: Record<string, unknown> = { engine };

function sendMany(h: Handle, n: number, size: number): void {
  let sent = 0;
  const step = () => {
    const end = Math.min(n, sent + 5000);
    // A new buffer per message, as an application producing data sends: ws
    // frames a buffer without copying it (one buffer sent N times would
    // cost it nothing), Deno's engine copies every send.
    for (; sent < end; sent++) h.send(new Uint8Array(size).fill(7));
    if (sent < n) setTimeout(step, 0);
    else console.log(`SENT ${sent} ${h.bufferedAmount}`);
  };
  step();
}

function control(h: Handle, text: string): void {
  if (text === "stats") {
    const { heapUsed, external } = Deno.memoryUsage();
    h.send(JSON.stringify({ open, stuck: stuck.size, buffered: [...stuck].map((s) => s.bufferedAmount), heapUsed, external }));
  } else if (text === "gc") {
    (globalThis as { gc?: () => void }).gc?.();
    h.send("gc done");
  } else if (text === "drop") {
    for (const s of stuck) s.drop();
    stuck.clear();
    h.send("dropped");
  } else if (text === "engine") h.send(JSON.stringify(engineInfo));
  else h.send(`unknown command ${text}`);
}

/** Where a connection goes by its path. */
function route(url: string, h: Handle): "echo" | "ctl" {
  const u = new URL(url, "http://x");
  if (u.pathname === "/stuck") {
    stuck.add(h);
    sendMany(h, Number(u.searchParams.get("n") ?? "1000"), Number(u.searchParams.get("size") ?? "65536"));
    return "echo";
  }
  return u.pathname === "/ctl" ? "ctl" : "echo";
}

if (engine !== "native") {
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: options.maxPayload ?? 100 * 1024 * 1024, // ws's default, 100 MiB
    perMessageDeflate: options.perMessageDeflate ?? false, // ws's default: off
  });
  const server = createServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" });
    res.end("WebSocket only");
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (engineInfo.socketClass === undefined) {
      const pkg = wsRequire("ws/package.json") as { version: string };
      // bufferutil itself falls back to a JS loop when its addon cannot load (on Deno: without --allow-ffi).
      let bufferutil = "absent";
      try {
        const bu = wsRequire("bufferutil") as { unmask: () => void };
        bufferutil = String(bu.unmask).includes("[native code]") ? "native addon" : "its JS fallback (no --allow-ffi?)";
      } catch { /* not installed: ws uses its own JS loop */ }
      engineInfo = { engine, ws: pkg.version, bufferutil, socketClass: socket.constructor.name, deno: Deno.version.deno };
    }
    socket.on("error", () => {}); // a peer's RST must not become an uncaught error
    wss.handleUpgrade(req, socket, head, (ws: WsSocket) => {
      open++;
      const h: Handle = {
        send: (d) => ws.send(d),
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
        drop: () => ws.terminate(), // socket.destroy(): drops TCP without a close frame
      };
      ws.on("close", () => {
        open--;
        stuck.delete(h);
      });
      ws.on("error", () => {}); // protocol errors (1002, 1009) close the socket; the close event tells
      if (route(req.url ?? "/", h) === "ctl") ws.on("message", (data) => control(h, String(data)));
      else ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    console.log(`READY ${typeof addr === "object" && addr !== null ? addr.port : 0}`);
  });
} else {
  engineInfo = { engine, deno: Deno.version.deno };
  const limit = options.maxPayload ?? Infinity;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("WebSocket only", { status: 426 });
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 0 });
    const h: Handle = {
      send: (d) => socket.send(d),
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
      drop: () => socket.close(1001, "dropped"), // no terminate(): a close frame is all there is
    };
    socket.onopen = () => {
      open++;
      if (route(req.url, h) === "ctl") socket.onmessage = (e) => control(h, String(e.data));
      else if (limit === Infinity) socket.onmessage = (e) => socket.send(e.data as string | ArrayBuffer);
      else {
        // Deno has no size option: the whole message is read, then refused (what fullduplex does).
        socket.onmessage = (e) => {
          const d = e.data as string | ArrayBuffer;
          const bytes = typeof d === "string" ? d.length : d.byteLength; // a lower bound for text: enough to refuse
          if (bytes > limit) socket.close(1009, "too big");
          else socket.send(d);
        };
      }
    };
    socket.onclose = () => {
      open--;
      stuck.delete(h);
    };
    socket.onerror = () => {};
    return response;
  });
  console.log(`READY ${server.addr.port}`);
}
