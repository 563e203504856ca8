/**
 * Chat rooms over topics: join, leave and say, with JSON messages, on one
 * server or on several sharing Redis. Serves a small browser page at `/`.
 *
 *   deno run -A examples/chat.ts [--port 8080] [--host localhost] [--redis redis://localhost:6379]
 *   bun run examples/chat.ts …
 *
 * Run two servers behind one Redis and a user on either port sees the other:
 *
 *   bun run examples/chat.ts --port 8081 --redis redis://localhost:6379
 *   deno run -A examples/chat.ts --port 8082 --redis redis://localhost:6379
 *
 * Protocol (text frames, JSON), client → server:
 *   {"type":"join","room":"lobby"}   {"type":"leave","room":"lobby"}
 *   {"type":"say","room":"lobby","text":"hi"}
 * server → client:
 *   {"type":"welcome","user":"ann"}
 *   {"type":"joined","room","user"}  {"type":"left","room","user"}
 *   {"type":"message","room","user","text","at"}   {"type":"error","error"}
 * The user name comes from `?name=` (default: guest-xxxx).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { serve } from "../mod.ts";
import type { Broker, Socket } from "../mod.ts";
import { createRedisBroker } from "../src/broker/redis.ts"; // from JSR: "@fullduplex/fullduplex/redis"
import { CHAT_PAGE } from "../demo/chat_page.ts";
import { errorText, exit, onShutdownSignal, scriptArgs } from "../demo/cli.ts";

const USAGE = "usage: examples/chat.ts [--port N] [--host H] [--redis redis://host:6379]";

let args;
try {
  args = parseArgs({
    args: scriptArgs(),
    options: {
      port: { type: "string", default: "8080" },
      host: { type: "string", default: "localhost" },
      redis: { type: "string" },
    },
  }).values;
} catch (err) {
  console.error(`Error: ${errorText(err)}\n${USAGE}`);
  exit(2);
}
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Error: --port must be a port number, got ${JSON.stringify(args.port)}\n${USAGE}`);
  exit(2);
}

let broker: Broker | undefined;
if (args.redis !== undefined) {
  try {
    broker = await createRedisBroker({ url: args.redis, prefix: "chat:", onEvent: (e) => console.log(`Redis ${e.type}`) });
  } catch (err) {
    console.error(`Error: ${errorText(err)}`);
    exit(1);
  }
}

interface User {
  name: string;
}

/** Rooms are topics named `room:<name>`. */
const ROOM = /^[\w-]{1,64}$/;
const topicOf = (room: string) => `room:${room}`;

function roomOf(socket: Socket<User>, value: unknown): string | undefined {
  if (typeof value === "string" && ROOM.test(value)) return value;
  socket.sendJson({ type: "error", error: "room must be 1-64 letters, digits, _ or -" });
  return undefined;
}

const server = serve<User>({
  port,
  hostname: args.host,
  broker,
  maxMessageBytes: 16 * 1024,
  fetch(req) {
    if (req.method === "GET" && new URL(req.url).pathname === "/") {
      return new Response(CHAT_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    return new Response("not found\n", { status: 404 });
  },
  upgrade(_req, { url }) {
    const name = (url.searchParams.get("name") ?? "").trim().slice(0, 32);
    return { data: { name: name || `guest-${crypto.randomUUID().slice(0, 4)}` } };
  },
  open(socket) {
    socket.sendJson({ type: "welcome", user: socket.data.name });
  },
  message(socket, msg) {
    let request: { type?: unknown; room?: unknown; text?: unknown };
    try {
      request = msg.json() as typeof request;
    } catch (err) {
      socket.sendJson({ type: "error", error: errorText(err) });
      return;
    }
    const user = socket.data.name;
    switch (request?.type) {
      case "join": {
        const room = roomOf(socket, request.room);
        if (room === undefined || socket.topics.has(topicOf(room))) return;
        socket.subscribe(topicOf(room));
        socket.publishJson(topicOf(room), { type: "joined", room, user }, { includeSelf: true });
        return;
      }
      case "leave": {
        const room = roomOf(socket, request.room);
        if (room === undefined || !socket.topics.has(topicOf(room))) return;
        socket.publishJson(topicOf(room), { type: "left", room, user }, { includeSelf: true });
        socket.unsubscribe(topicOf(room));
        return;
      }
      case "say": {
        const room = roomOf(socket, request.room);
        if (room === undefined) return;
        if (!socket.topics.has(topicOf(room))) {
          socket.sendJson({ type: "error", error: `join ${room} before saying something there` });
          return;
        }
        if (typeof request.text !== "string" || request.text.length === 0) {
          socket.sendJson({ type: "error", error: "text must be a non-empty string" });
          return;
        }
        socket.publishJson(topicOf(room), { type: "message", room, user, text: request.text, at: new Date().toISOString() }, { includeSelf: true });
        return;
      }
      default:
        socket.sendJson({ type: "error", error: 'type must be "join", "leave" or "say"' });
    }
  },
  close(socket) {
    // socket.topics is still readable here: tell every room its user left.
    for (const topic of socket.topics) socket.publishJson(topic, { type: "left", room: topic.slice(5), user: socket.data.name });
  },
});

await server.ready;
const http = server.url.replace(/^ws/, "http");
console.log(`Chat server listening on ${http} (${broker ? `rooms shared through Redis at ${args.redis}` : "rooms on this server only"})`);

onShutdownSignal(async () => {
  await server.shutdown();
  await broker?.close();
  exit(0);
});
