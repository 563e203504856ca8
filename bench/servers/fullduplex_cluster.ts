/**
 * fullduplex as one member of a cluster: `serve()` with its defaults plus a
 * Redis broker (`createRedisBroker`), so `server.publish` reaches the
 * subscribers of every process sharing the Redis; optionally on a fixed port
 * with `reusePort`. The same jobs as fullduplex.ts (echo; fan-out: a
 * connection to `/?pub` publishes each message to topic {@link TOPIC}).
 *
 *   bun run fullduplex_cluster.ts <mode> [--redis URL --prefix P] [--port N] [--reuse-port]
 *   deno run -A --unstable-net fullduplex_cluster.ts ...   (reusePort needs the flag on Deno)
 *
 * Without `--redis` it runs without a broker (the single-process baseline).
 * Prints `READY <port> pid=<pid>`.
 *
 * @module
 */

import process from "node:process";
import { serve } from "../../mod.ts";
import type { Server, Socket } from "../../mod.ts";
import { createRedisBroker } from "../../src/broker/redis.ts";
import { isPublisher, readyLine, serverMode, TOPIC } from "./mode.ts";

const args = process.argv.slice(2);
const mode = serverMode(args);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const redisUrl = flag("--redis");
const broker = redisUrl === undefined ? undefined : await createRedisBroker({
  url: redisUrl,
  prefix: flag("--prefix") ?? "bench:",
  // A benchmark with a lost Redis connection is a failed run: say so on stderr, which the runner keeps.
  onEvent: (event) => console.error(`redis broker ${event.type}`, "error" in event ? String(event.error) : ""),
});

type Data = { publisher: boolean };
const server: Server = serve<Data>({
  port: Number(flag("--port") ?? 0),
  hostname: "127.0.0.1",
  reusePort: args.includes("--reuse-port"),
  broker,
  upgrade(_req, info) {
    return { data: { publisher: isPublisher(info.url.href) } };
  },
  open: mode === "fanout"
    ? (socket: Socket<Data>) => {
      if (!socket.data.publisher) socket.subscribe(TOPIC);
    }
    : undefined,
  message: mode === "fanout"
    ? (socket, msg) => {
      if (socket.data.publisher) server.publish(TOPIC, msg.text());
    }
    : (socket, msg) => {
      socket.send(msg.kind === "text" ? msg.text() : msg.bytes());
    },
});
await server.ready;
console.log(readyLine(server.port, `pid=${process.pid}`));
