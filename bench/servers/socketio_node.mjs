// socket.io 4 on Node.js as one member of a cluster: @socket.io/redis-adapter
// over the `redis` npm client (node-redis), websocket transport only,
// compression off (socket.io's default), no client bundle served. Fan-out:
// every subscriber joins room "bench" on connection; a connection with
// `?pub=1` emits "p" with each sequence number and the server re-emits it
// to the room with io.to("bench").emit("m", data): the adapter delivers to
// this process's room members and publishes it to Redis for the others.
//
//   node socketio_node.mjs fanout [--redis URL --prefix KEY] [--port N]
//
// Without --redis: socket.io's in-memory adapter (one process). Prints
// `READY <port> pid=<pid>`. Plain JavaScript: Node 20 runs no .ts.

import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";

const args = process.argv.slice(2);
const mode = args[0] ?? "fanout";
if (mode !== "fanout") throw new RangeError(`socketio_node.mjs serves fanout only, not ${mode}`);
const flag = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};

let adapter;
const redisUrl = flag("--redis");
if (redisUrl !== undefined) {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  // A lost Redis connection fails the run: say so on stderr (the runner keeps it).
  pub.on("error", (err) => console.error("redis pub error", String(err)));
  sub.on("error", (err) => console.error("redis sub error", String(err)));
  await Promise.all([pub.connect(), sub.connect()]);
  adapter = createAdapter(pub, sub, { key: flag("--prefix") ?? "bench-socket.io" });
}

const http = createServer((_req, res) => {
  res.writeHead(426).end();
});
const io = new Server(http, { transports: ["websocket"], serveClient: false, perMessageDeflate: false, adapter });
io.on("connection", (socket) => {
  if (socket.handshake.query.pub !== undefined) {
    socket.on("p", (data) => io.to("bench").emit("m", data));
  } else {
    socket.join("bench");
  }
});
http.listen(Number(flag("--port") ?? 0), "127.0.0.1", () => {
  console.log(`READY ${http.address().port} pid=${process.pid}`);
});
