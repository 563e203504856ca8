/**
 * Chat rooms on channels: clients join rooms themselves (the server
 * authorizes every join), see who is online in their room (presence, with the
 * name the server took from the upgrade), get join/leave notices, and say
 * things the server publishes to the room signed with their name. One server,
 * or several sharing Redis (rooms and who is online are shared). The server
 * serves a small browser page at `/`.
 *
 *   deno run -A examples/chat.ts [server] [--port 8080] [--host localhost] [--redis redis://localhost:6379]
 *   deno run -A examples/chat.ts client ws://localhost:8080 [--name ann] [--room lobby]
 *   bun run examples/chat.ts …
 *
 * The client mode joins one room, prints what happens there and says each
 * line read from stdin; at the end of stdin it leaves and exits.
 *
 * Run two servers behind one Redis and a user on either port sees the other:
 *
 *   bun run examples/chat.ts --port 8081 --redis redis://localhost:6379
 *   deno run -A examples/chat.ts --port 8082 --redis redis://localhost:6379
 *
 * How it is built:
 * - The user name comes from `?name=` in the upgrade (the stand-in for real
 *   authentication; default guest_xxxx), and is what others see in presence:
 *   a client cannot claim another name.
 * - Rooms are channel topics `room:<name>`; `channels.authorize` checks the
 *   room name, and rooms `dm-<a>-<b>` only let users a and b in.
 * - Saying something is a request, `{"type":"say","room","text"}` (with
 *   `client.request()`): the server checks the user joined the room and
 *   publishes `{"type":"message","user","text","at"}` to it. Clients may not
 *   publish to rooms themselves (the server could not sign their messages).
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { createInterface } from "node:readline";
import { connect, serve, SubscribeError } from "../mod.ts";
import type { Broker, PresenceMember, Socket, Subscription } from "../mod.ts";
import { createRedisBroker } from "../src/broker/redis.ts"; // from JSR: "@fullduplex/fullduplex/redis"
import { CHAT_PAGE } from "../demo/chat_page.ts";
import { clientBundleResponse } from "../demo/bundle.ts";
import { errorText, exit, onShutdownSignal, scriptArgs } from "../demo/cli.ts";

const USAGE = "usage: examples/chat.ts [server] [--port N] [--host H] [--redis redis://host:6379]\n" +
  "       examples/chat.ts client ws://host:port [--name NAME] [--room ROOM]";

/** Room names: `room:<this>`. */
const ROOM = /^[\w-]{1,64}$/;
/** User names (no `-`, so that `dm-<a>-<b>` names two users unambiguously). */
const NAME = /^\w{1,32}$/;
/** A direct-message room between two users. */
const DM = /^dm-(\w+)-(\w+)$/;

interface User {
  name: string;
}

/** What the server publishes to a room. */
interface ChatMessage {
  type: "message";
  user: string;
  text: string;
  at: string;
}

/** Who may join a topic: the room rule, then the per-user rule for direct messages. */
function mayJoin(user: string, topic: string): true | string {
  const room = topic.startsWith("room:") ? topic.slice(5) : "";
  if (!ROOM.test(room)) return "rooms are room:<1-64 letters, digits, _ or ->";
  const dm = DM.exec(room);
  if (dm && user !== dm[1] && user !== dm[2]) return `only ${dm[1]} and ${dm[2]} may join ${room}`;
  return true;
}

function die(message: string, code = 2): never {
  console.error(`Error: ${message}\n${USAGE}`);
  exit(code);
}

async function runServer(argv: string[]): Promise<void> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        port: { type: "string", default: "8080" },
        host: { type: "string", default: "localhost" },
        redis: { type: "string" },
      },
    }).values;
  } catch (err) {
    die(errorText(err));
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) die(`--port must be a port number, got ${JSON.stringify(args.port)}`);

  let broker: Broker | undefined;
  if (args.redis !== undefined) {
    try {
      broker = await createRedisBroker({ url: args.redis, prefix: "chat:", onEvent: (e) => console.log(`Redis ${e.type}`) });
    } catch (err) {
      console.error(`Error: ${errorText(err)}`);
      exit(1);
    }
  }

  const server = serve<User>({
    port,
    hostname: args.host,
    broker,
    maxMessageBytes: 16 * 1024,
    fetch(req) {
      const { pathname } = new URL(req.url);
      if (req.method === "GET" && pathname === "/") {
        return new Response(CHAT_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      if (req.method === "GET" && pathname === "/client.js") return clientBundleResponse();
      return new Response("not found\n", { status: 404 });
    },
    upgrade(_req, { url }) {
      const name = (url.searchParams.get("name") ?? "").trim();
      if (name === "") return { data: { name: `guest_${crypto.randomUUID().slice(0, 4)}` } };
      if (!NAME.test(name)) return new Response("name must be 1-32 letters, digits or _\n", { status: 400 });
      return { data: { name } };
    },
    channels: {
      authorize(socket, topic, action) {
        if (action === "publish") return "say it with a say request: the server signs messages with your name";
        return mayJoin(socket.data.name, topic);
      },
      // What the others see of a member: chosen here, from the upgrade, never by the client.
      presence: (socket) => ({ name: socket.data.name }),
    },
    open(socket) {
      socket.sendJson({ type: "welcome", user: socket.data.name });
    },
    message(socket, msg) {
      let request: { type?: unknown; room?: unknown; text?: unknown; id?: unknown };
      try {
        request = msg.json() as typeof request;
      } catch (err) {
        socket.sendJson({ type: "error", error: errorText(err) });
        return;
      }
      // A reply to client.request() carries its id; a message without one gets an error message.
      const reply = (answer: object) =>
        socket.sendJson(request?.id === undefined ? { type: "error", ...answer } : { ...answer, id: request.id });
      if (request?.type !== "say") return reply({ error: 'type must be "say"' });
      if (typeof request.room !== "string" || !ROOM.test(request.room)) {
        return reply({ error: "room must be 1-64 letters, digits, _ or -" });
      }
      const topic = `room:${request.room}`;
      if (!socket.topics.has(topic)) return reply({ error: `join #${request.room} before saying something there` });
      if (typeof request.text !== "string" || request.text.length === 0) return reply({ error: "text must be a non-empty string" });
      const said: ChatMessage = { type: "message", user: socket.data.name, text: request.text, at: new Date().toISOString() };
      socket.publishJson(topic, said, { includeSelf: true });
      reply({ ok: true });
    },
    error(_socket, err) {
      console.error(`Error: ${errorText(err)}`);
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
}

/** The names of a room's members, sorted: "ann, bob". */
function online(room: Subscription): string {
  return room.members.map((m) => nameOf(m)).sort().join(", ");
}

function nameOf(member: PresenceMember): string {
  const info = member.info as { name?: unknown } | null;
  return typeof info?.name === "string" ? info.name : member.id;
}

async function runClient(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { name: { type: "string" }, room: { type: "string", default: "lobby" } },
    });
  } catch (err) {
    die(errorText(err));
  }
  const [base] = parsed.positionals;
  if (base === undefined || parsed.positionals.length > 1) die("client takes one server URL");
  const { name, room: roomName } = parsed.values;
  const url = new URL(base);
  if (name !== undefined) url.searchParams.set("name", name);

  let client;
  try {
    client = await connect(url.href, { channels: true, timeout: 10_000 });
  } catch (err) {
    console.error(`Error: ${errorText(err)}`);
    exit(1);
  }
  // The server's first message says who we are.
  let welcomed = false;
  const welcome = await new Promise<{ user?: string }>((resolve) => {
    const off = client.on("message", (msg) => {
      off();
      welcomed = true;
      resolve(msg.json());
    });
    client.closed.then(({ code }) => {
      if (welcomed) return;
      console.error(`Error: the server closed the connection (${code}) before its welcome`);
      exit(1);
    });
  });
  console.log(`Connected to ${base} as ${welcome.user}`);

  let room: Subscription;
  try {
    room = await client.subscribe(`room:${roomName}`, { presence: true });
  } catch (err) {
    console.error(`Error: cannot join #${roomName}: ${err instanceof SubscribeError ? err.reason : errorText(err)}`);
    await client.close();
    exit(1);
  }
  console.log(`Joined #${roomName}; online: ${online(room)}`);
  room.on("join", (m) => console.log(`* ${nameOf(m)} joined #${roomName} (online: ${online(room)})`));
  room.on("leave", (m) => console.log(`* ${nameOf(m)} left #${roomName} (online: ${online(room)})`));
  room.on("message", (msg) => {
    const m = msg.json<ChatMessage>();
    console.log(`${m.user}: ${m.text}`);
  });
  room.on("error", (err) => console.error(`Error: no longer in #${roomName}: ${err.reason}`));
  let leaving = false;
  client.on("close", ({ code, reason }) => {
    if (leaving) return;
    console.log(`Disconnected (${code}${reason ? ` ${reason}` : ""})`);
    exit(1);
  });

  // Say each stdin line, one at a time (each waits for the server's answer).
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const text of lines) {
    if (text === "") continue;
    const answer = await client.request<{ ok?: true; error?: string }>({ type: "say", room: roomName, text })
      .catch((err) => ({ error: errorText(err) }));
    if (answer.error !== undefined) console.error(`Error: ${answer.error}`);
  }
  leaving = true;
  if (room.active) await room.unsubscribe();
  console.log(`Left #${roomName}`);
  await client.close();
  exit(0);
}

const argv = scriptArgs();
if (argv[0] === "client") await runClient(argv.slice(1));
else await runServer(argv[0] === "server" ? argv.slice(1) : argv);
