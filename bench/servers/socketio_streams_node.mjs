// socket.io 4 on Node.js as one member of a cluster with history (issue
// 16, parts 2 and 3): @socket.io/redis-streams-adapter over the `redis` npm
// client (node-redis), with connection state recovery on
// (`connectionStateRecovery`, its defaults: 2 minutes, middlewares
// skipped), websocket transport only, compression off, no client bundle.
// Every broadcast is XADDed to one Redis stream (trimmed to about 10,000
// entries, like fullduplex's history size here) and read by every member
// with XREAD; each packet carries its stream offset, which a reconnecting
// socket.io-client sends back so the server can replay what it missed.
//
// Fan-out: every subscriber joins room "bench" on connection (unless its
// session was recovered: then its rooms came back with it); a connection
// with `?pub=1` emits "p" with each sequence number and the server re-emits
// it to the room with io.to("bench").emit("m", data).
//
//   node socketio_streams_node.mjs fanout --redis URL --prefix KEY [--port N] [--graceful]
//
// With --graceful, SIGTERM is a restart as an operator would do it:
// io.close() (each socket closes with "server shutting down", a reason
// connection state recovery keeps: its session is written to Redis), the
// Redis client closed once its pending commands (those sessions) are done,
// then exit. Without it (and on SIGKILL) nothing is written: a session is
// only persisted when its socket closes in a living server.
//
// Prints `READY <port> pid=<pid>`. Plain JavaScript: Node 20 runs no .ts.

import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-streams-adapter";
import { createClient } from "redis";

const args = process.argv.slice(2);
const mode = args[0] ?? "fanout";
if (mode !== "fanout") throw new RangeError(`socketio_streams_node.mjs serves fanout only, not ${mode}`);
const flag = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const redisUrl = flag("--redis");
if (redisUrl === undefined) throw new RangeError("socketio_streams_node.mjs needs --redis URL");
const prefix = flag("--prefix") ?? "bench-socket.io:";

const redis = createClient({ url: redisUrl });
// A lost Redis connection fails the run: say so on stderr (the runner keeps it).
redis.on("error", (err) => console.error("redis error", String(err)));
await redis.connect();
const adapter = createAdapter(redis, {
  streamName: `${prefix}stream`,
  channelPrefix: `${prefix}channel`,
  sessionKeyPrefix: `${prefix}session:`,
  maxLen: 10_000,
});

const http = createServer((_req, res) => {
  res.writeHead(426).end();
});
const io = new Server(http, {
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: false,
  adapter,
  connectionStateRecovery: {},
});
io.on("connection", (socket) => {
  if (socket.handshake.query.pub !== undefined) {
    socket.on("p", (data) => io.to("bench").emit("m", data));
  } else if (!socket.recovered) {
    socket.join("bench");
  }
});
if (args.includes("--graceful")) {
  process.on("SIGTERM", async () => {
    await io.close();
    await redis.close();
    process.exit(0);
  });
}
http.listen(Number(flag("--port") ?? 0), "127.0.0.1", () => {
  console.log(`READY ${http.address().port} pid=${process.pid}`);
});
