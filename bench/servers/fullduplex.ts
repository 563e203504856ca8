/**
 * fullduplex's server on whichever runtime runs this file, with its
 * defaults (limits, keep-alive and accounting on). Fan-out uses the topics
 * API (`socket.subscribe(topic)`, `server.publish(topic, data)`); while the
 * library has no `publish`, the READY line says `fanout=unavailable` and
 * the runner skips that target. Run: `deno run -A fullduplex.ts <mode>` or
 * `bun run fullduplex.ts <mode>`.
 *
 * @module
 */

import { serve } from "../../mod.ts";
import type { Server, Socket } from "../../mod.ts";
import { isPublisher, readyLine, serverMode, TOPIC } from "./mode.ts";

/** The topics API, typed structurally: it is being added in parallel. */
interface Publisher {
  publish?(topic: string, data: string | Uint8Array): unknown;
}
interface Subscriber {
  subscribe?(topic: string): unknown;
}

const g = globalThis as unknown as { Deno?: { args: string[] }; Bun?: { argv: string[] } };
const mode = serverMode(g.Deno !== undefined ? g.Deno.args : g.Bun!.argv.slice(2));

let server: Server;
const publish = (topic: string, data: string | Uint8Array) => (server as unknown as Publisher).publish!(topic, data);

server = serve<{ publisher: boolean }>({
  port: 0,
  hostname: "127.0.0.1",
  upgrade(_req, info) {
    return { data: { publisher: isPublisher(info.url.href) } };
  },
  open:
    mode === "fanout"
      ? (socket: Socket<{ publisher: boolean }>) => {
        if (!socket.data.publisher) (socket as unknown as Subscriber).subscribe!(TOPIC);
      }
      : undefined,
  message:
    mode === "echo"
      ? (socket, msg) => {
        socket.send(msg.kind === "text" ? msg.text() : msg.bytes());
      }
      : mode === "json"
      ? (socket, msg) => {
        socket.sendJson(msg.json());
      }
      : (socket, msg) => {
        if (socket.data.publisher) publish(TOPIC, msg.text());
      },
});
await server.ready;
const topics = typeof (server as unknown as Publisher).publish === "function";
console.log(readyLine(server.port, mode === "fanout" && !topics ? "fanout=unavailable" : ""));
