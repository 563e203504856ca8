/**
 * fullduplex's server on whichever runtime runs this file, with its
 * defaults (limits, keep-alive and accounting on). Fan-out uses the topics
 * API (`socket.subscribe(topic)`, `server.publish(topic, data)`).
 * `BENCH_RELEASE_BUFFERS=1` turns on `releaseReceivedBuffers` (used by
 * bench/investigate/deno_rss.ts; the benchmark itself runs the defaults).
 * Run: `deno run -A fullduplex.ts <mode> [engine]` or `bun run fullduplex.ts <mode>`;
 * `engine` is `native` (default) or, on Deno, `ws` (the `engine: "ws"` option:
 * used by bench/investigate/ws_deno.ts with WS_DENO_FULLDUPLEX=1).
 *
 * @module
 */

import process from "node:process";
import { serve } from "../../mod.ts";
import type { Socket } from "../../mod.ts";
import { isPublisher, readyLine, serverMode, TOPIC } from "./mode.ts";

const mode = serverMode(process.argv.slice(2));
const engine = process.argv[3] ?? "native";
if (engine !== "native" && engine !== "ws") throw new RangeError(`unknown engine ${engine}: use native or ws`);

const server = serve<{ publisher: boolean }>({
  port: 0,
  hostname: "127.0.0.1",
  releaseReceivedBuffers: process.env.BENCH_RELEASE_BUFFERS === "1",
  engine,
  upgrade(_req, info) {
    return { data: { publisher: isPublisher(info.url.href) } };
  },
  open: mode === "fanout"
    ? (socket: Socket<{ publisher: boolean }>) => {
      if (!socket.data.publisher) socket.subscribe(TOPIC);
    }
    : undefined,
  message: mode === "echo"
    ? (socket, msg) => {
      socket.send(msg.kind === "text" ? msg.text() : msg.bytes());
    }
    : mode === "json"
    ? (socket, msg) => {
      socket.sendJson(msg.json());
    }
    : (socket, msg) => {
      if (socket.data.publisher) server.publish(TOPIC, msg.text());
    },
});
await server.ready;
console.log(readyLine(server.port));
