/**
 * Seed example "WebSocket Server" (Dart tutorial): an echo server that
 * answers every message with `Echo: <message>` and refuses plain HTTP with
 * 403, printing each connection, message and disconnection.
 *
 *   deno run -A examples/echo_server.ts [ws://localhost:8080]
 *
 * Prints:
 *   WebSocket server listening on ws://localhost:8080
 *   Client connected: 1
 *   Received: Hello
 *   Client disconnected
 *
 * @module
 */

import { serve } from "../mod.ts";
import { onShutdownSignal, scriptArgs } from "../demo/cli.ts";

const listen = new URL(scriptArgs()[0] ?? "ws://localhost:8080");
let connections = 0;
const ids = new Map<string, number>();

const server = serve({
  hostname: listen.hostname.replace(/^\[|\]$/g, ""),
  port: Number(listen.port || 8080),
  fetch: () => new Response("Forbidden\n", { status: 403 }),
  open(socket) {
    ids.set(socket.id, ++connections);
    console.log(`Client connected: ${ids.get(socket.id)}`);
  },
  message(socket, message) {
    const text = message.text();
    console.log(`Received: ${text}`);
    socket.send(`Echo: ${text}`);
  },
  close(socket) {
    ids.delete(socket.id);
    console.log("Client disconnected");
  },
  error(_socket, error) {
    console.log(`Error: ${error instanceof Error ? error.message : String(error)}`);
  },
});
await server.ready;
console.log(`WebSocket server listening on ws://${listen.hostname}:${server.port}`);
onShutdownSignal(() => server.shutdown());
