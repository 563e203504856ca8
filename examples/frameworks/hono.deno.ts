/**
 * fullduplex inside a Hono app on Deno: Hono routes HTTP, fullduplex owns
 * the WebSocket at /ws, with topics (chat rooms) that an HTTP route can
 * publish to as well. Hono's own WebSocket helper has no pub/sub across
 * runtimes (honojs/hono#3230); this gives the same app on Deno and Bun
 * (hono.bun.ts) the same rooms.
 *
 *   deno run -A examples/frameworks/hono.deno.ts [port] [host]     (default 8080 localhost)
 *
 *   ws://localhost:8080/ws?room=lobby   join a room; each text message goes to the others in it
 *   POST /rooms/lobby (body: text)      an HTTP route publishes to the room too
 *   GET /                               an ordinary Hono route
 *
 * @module
 */

import { Hono } from "hono";
import { createHandler } from "../../mod.ts"; // from JSR: "@fullduplex/fullduplex", from npm: "fullduplex"
import type { DenoServeInfo } from "../../mod.ts";
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
    // To everyone else in the room, on this server and (with a broker) on every other.
    socket.publishJson(`room:${socket.data.room}`, { type: "message", room: socket.data.room, text: msg.text() });
  },
});

// Deno.serve(app.fetch) hands Hono the connection info (the peer's address) as `c.env`.
const app = new Hono<{ Bindings: DenoServeInfo }>();
app.get("/", (c) => c.text("Hono on Deno, with fullduplex at /ws\n"));
app.get("/ws", (c) => ws.handleUpgrade(c.req.raw, c.env) ?? c.text("this endpoint speaks WebSocket\n", 426));
app.post("/rooms/:room", async (c) => {
  const room = c.req.param("room");
  const delivered = ws.publishJson(`room:${room}`, { type: "message", room, text: await c.req.text(), from: "http" });
  return c.json({ delivered });
});

const [port = "8080", hostname = "localhost"] = scriptArgs();
const server = Deno.serve({ port: Number(port), hostname, onListen: () => {} }, app.fetch);
console.log(`Hono + fullduplex listening on http://${hostname}:${server.addr.port}`);

onShutdownSignal(async () => {
  await ws.shutdown(); // closes every WebSocket with 1001 first
  await server.shutdown();
});
