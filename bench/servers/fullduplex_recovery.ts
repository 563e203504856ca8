/**
 * fullduplex as one member of a cluster with recovery (issue 16, parts 2
 * and 3): `serve()` with its defaults, a Redis broker (`createRedisBroker`),
 * channels on (every client may subscribe) and, with `--history SIZE`, a
 * Redis Streams history (`createRedisHistory`) on topic {@link TOPIC}
 * keeping its last SIZE publications: every publication is stored before
 * it is delivered. Without `--history` the same server, the same topic,
 * without history (plain Redis pub/sub between the members): the pair
 * whose difference is the cost of storing.
 *
 * Fan-out: a connection to `/?pub` publishes each text frame it sends to
 * {@link TOPIC} with `server.publish`; with `--ack`, with
 * `server.publishWithAck` and answers `ack <text>` once the store kept it
 * (`fail <text>` when it could not: nobody got it). A connection without
 * the channels subprotocol is subscribed by the server
 * (`socket.subscribe(TOPIC)`: the payload as it was published); a channels
 * connection subscribes itself (`sub`, with `recover: true` in the recovery
 * scenario, `msg` frames with positions).
 *
 *   bun run fullduplex_recovery.ts fanout --redis URL --prefix P [--port N] [--history SIZE] [--ack] [--graceful]
 *
 * With `--graceful`, SIGTERM is a restart as an operator would do it:
 * `server.shutdown({ code: 1012 })` (every client told "service restart",
 * so it reconnects), the broker and the store closed, then exit.
 *
 * Prints `READY <port> pid=<pid>` once it listens (the recovery scenario
 * times recovery from that line).
 *
 * @module
 */

import process from "node:process";
import { serve } from "../../mod.ts";
import type { Server, Socket } from "../../mod.ts";
import { createRedisBroker, createRedisHistory } from "../../src/broker/redis.ts";
import { CHANNELS_PROTOCOL } from "../../src/shared/channel_wire.ts";
import { isPublisher, readyLine, serverMode, TOPIC } from "./mode.ts";

const args = process.argv.slice(2);
if (serverMode(args) !== "fanout") throw new RangeError("fullduplex_recovery.ts serves fanout only");
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const redisUrl = flag("--redis");
if (redisUrl === undefined) throw new RangeError("fullduplex_recovery.ts needs --redis URL");
const prefix = flag("--prefix") ?? "bench:";
const historySize = flag("--history");
const ack = args.includes("--ack");
// A lost Redis connection fails the run: say so on stderr, which the runner keeps.
const report = (what: string) => (event: { type: string }) =>
  console.error(`redis ${what} ${event.type}`, "error" in event ? String(event.error) : "");
const broker = await createRedisBroker({ url: redisUrl, prefix: `${prefix}bus:`, onEvent: report("broker") });
const store = historySize === undefined ? undefined : await createRedisHistory({
  url: redisUrl,
  prefix: `${prefix}history:`,
  onEvent: report("history"),
});

type Data = { publisher: boolean };
const server: Server = serve<Data>({
  port: Number(flag("--port") ?? 0),
  hostname: "127.0.0.1",
  broker,
  channels: {
    authorize: () => true,
    history: store === undefined ? undefined : { store, topics: [{ match: TOPIC, size: Number(historySize) }] },
  },
  upgrade(_req, info) {
    return { data: { publisher: isPublisher(info.url.href) } };
  },
  open(socket: Socket<Data>) {
    if (!socket.data.publisher && socket.protocol !== CHANNELS_PROTOCOL) socket.subscribe(TOPIC);
  },
  message: ack
    ? async (socket, msg) => {
      if (!socket.data.publisher) return;
      const text = msg.text();
      try {
        await server.publishWithAck(TOPIC, text);
        socket.send(`ack ${text}`);
      } catch (err) {
        console.error(`publishWithAck failed: ${err instanceof Error ? err.message : err}`);
        socket.send(`fail ${text}`);
      }
    }
    : (socket, msg) => {
      if (socket.data.publisher) server.publish(TOPIC, msg.text());
    },
  error: (_socket, err) => console.error(`server error: ${err instanceof Error ? err.message : err}`),
});
if (args.includes("--graceful")) {
  process.on("SIGTERM", async () => {
    await server.shutdown({ code: 1012, reason: "restarting", timeout: 1000 });
    await broker.close();
    await store?.close();
    process.exit(0);
  });
}
await server.ready;
console.log(readyLine(server.port, `pid=${process.pid}`));
