/**
 * fullduplex inside a Hono app on Bun: the same app as hono.deno.ts. On Bun
 * the upgrade needs Bun's server object, which Hono passes as `c.env` when
 * Bun.serve calls `app.fetch`, and Bun.serve takes fullduplex's `websocket`
 * handler.
 *
 *   bun run examples/frameworks/hono.bun.ts [port] [host]     (default 8080 localhost)
 *
 *   ws://localhost:8080/ws?room=lobby   join a room; each text message goes to the others in it
 *   POST /rooms/lobby (body: text)      an HTTP route publishes to the room too
 *   GET /                               an ordinary Hono route
 *
 * @module
 */

import { Hono } from "hono";
import { createHandler } from "../../mod.ts"; // from npm: "fullduplex"
import type { BunServer } from "../../mod.ts";
import { onShutdownSignal, scriptArgs } from "../../demo/cli.ts";

/** What fullduplex keeps per connection (returned by the upgrade hook). */
interface Member {
  room: string;
}

const ws = createHandler<Member>({
  upgrade: (_req, { url }) => ({ data: { room: url.searchParams.get("room") ?? "lobby" } }),
  open(socket) {
    socket.subscribe(`room:${socket.data.room}`);
    socket.sendJson({ type: "joined", room: socket.data.room });
  },
  message(socket, msg) {
    // To everyone else in the room; on Bun this is Bun's native publish.
    socket.publishJson(`room:${socket.data.room}`, { type: "message", room: socket.data.room, text: msg.text() });
  },
});

const app = new Hono<{ Bindings: BunServer }>();
app.get("/", (c) => c.text("Hono on Bun, with fullduplex at /ws\n"));
// upgrade() resolves to undefined once Bun has taken the connection (Bun then
// ignores the response, but Hono wants one), or to a refusal such as 426.
app.get("/ws", async (c) => (await ws.upgrade(c.req.raw, c.env)) ?? new Response(null));
app.post("/rooms/:room", async (c) => {
  const room = c.req.param("room");
  const delivered = ws.publishJson(`room:${room}`, { type: "message", room, text: await c.req.text(), from: "http" });
  return c.json({ delivered });
});

const [port = "8080", hostname = "localhost"] = scriptArgs();
const server = Bun.serve({ port: Number(port), hostname, fetch: app.fetch, websocket: ws.websocket });
console.log(`Hono + fullduplex listening on http://${hostname}:${server.port}`);

onShutdownSignal(async () => {
  await ws.shutdown(); // closes every WebSocket with 1001 first
  await server.stop();
});
