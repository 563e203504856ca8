/**
 * fullduplex inside an Elysia app (Bun): Elysia routes HTTP, fullduplex owns
 * the WebSocket at /ws with its topics (chat rooms), and an HTTP route
 * publishes to a room as well.
 *
 * `websocket: ws.websocket` in `listen()` replaces Elysia's own WebSocket
 * handler: one Bun server has one, so Elysia's `.ws()` routes cannot be used
 * in the same app (mount fullduplex for all WebSocket routes instead).
 *
 *   bun run examples/frameworks/elysia.bun.ts [port] [host]     (default 8080 localhost)
 *
 *   ws://localhost:8080/ws?room=lobby   join a room; each text message goes to the others in it
 *   POST /rooms/lobby (body: text)      an HTTP route publishes to the room too
 *   GET /                               an ordinary Elysia route
 *
 * @module
 */

import { Elysia } from "elysia";
import { createHandler } from "../../mod.ts"; // from npm: "fullduplex"
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
    socket.publishJson(`room:${socket.data.room}`, { type: "message", room: socket.data.room, text: msg.text() });
  },
});


const [port = "8080", hostname = "localhost"] = scriptArgs();
const app = new Elysia()
  .get("/", () => "Elysia on Bun, with fullduplex at /ws\n")
  // Elysia hands the handler Bun's server; upgrade() resolves to undefined
  // once Bun has taken the connection, or to a refusal such as 426.
  .get("/ws", async ({ request, server }) => (await ws.upgrade(request, server!)) ?? new Response(null))
  .post("/rooms/:room", async ({ params: { room }, request }) => {
    const delivered = ws.publishJson(`room:${room}`, { type: "message", room, text: await request.text(), from: "http" });
    return { delivered };
  })
  .listen({ port: Number(port), hostname, websocket: ws.websocket });
console.log(`Elysia + fullduplex listening on http://${hostname}:${app.server!.port}`);

onShutdownSignal(async () => {
  await ws.shutdown(); // closes every WebSocket with 1001 first
  await app.stop();
});
