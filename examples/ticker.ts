/**
 * A live ticker whose clients ride out a restart of its server without a
 * gap: the server publishes a price on `ticker:<symbol>` every `--every`
 * ms, each kept in the topic's history; a client subscribes with
 * `recover: true`, and after a reconnect (the server restarted, the
 * network dropped) it gets every price it missed, once each, in order,
 * before the live ones. With `--redis` the history lives in Redis, so it
 * survives the server's restart (and a second server on another runtime
 * serves the same ticker); without it, in the server's memory (a restart is
 * then a new epoch: the client is told it missed prices).
 *
 *   deno run -A examples/ticker.ts [server] [--port 8080] [--host localhost] [--redis redis://localhost:6379] [--every 100]
 *   deno run -A examples/ticker.ts client ws://localhost:8080 [--symbol EUR] [--count N]
 *   bun run examples/ticker.ts …
 *
 * The client prints one line per price, `<offset> <symbol> <price>`, and a
 * line `recovered` / `missed prices (<reason>)` after each reconnect; with
 * `--count N` it exits after N prices.
 *
 * Try it: start the server with --redis, a client, stop the server
 * (Ctrl-C) and start it again: the client's offsets go on without a hole.
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { connect, serve } from "../mod.ts";
import type { Broker, Server } from "../mod.ts";
import { MemoryHistory } from "../history.ts"; // from JSR: "@fullduplex/fullduplex/history"
import type { HistoryStore } from "../history.ts";
import { createRedisBroker, createRedisHistory } from "../src/broker/redis.ts"; // from JSR: "@fullduplex/fullduplex/redis"
import { errorText, exit, onShutdownSignal, scriptArgs } from "../demo/cli.ts";

const USAGE = "usage: examples/ticker.ts [server] [--port N] [--host H] [--redis redis://host:6379] [--every MS]\n" +
  "       examples/ticker.ts client ws://host:port [--symbol EUR] [--count N]";

const SYMBOLS = ["EUR", "GBP", "JPY"];

async function runServer(values: { port?: string; host?: string; redis?: string; every?: string }): Promise<void> {
  let broker: Broker | undefined;
  let store: HistoryStore = new MemoryHistory();
  if (values.redis !== undefined) {
    broker = await createRedisBroker({ url: values.redis });
    store = await createRedisHistory({ url: values.redis });
  }
  const server: Server = serve({
    port: Number(values.port ?? 8080),
    hostname: values.host ?? "localhost",
    broker,
    channels: {
      // Anyone may read a ticker; only the server publishes.
      authorize: (_socket, topic, action) => (action === "subscribe" && topic.startsWith("ticker:")) || "read-only ticker",
      history: { store, topics: [{ match: "ticker:*", size: 10_000, ttl: 10 * 60_000 }] },
    },
  });
  console.log(`ticker on ws://${server.hostname}:${server.port} (history: ${values.redis === undefined ? "memory" : "redis"})`);
  // Prices walk from 100; with Redis the walk goes on from the last price stored.
  const prices = new Map(SYMBOLS.map((s) => [s, 100]));
  const timer = setInterval(() => {
    for (const symbol of SYMBOLS) {
      const price = Math.round((prices.get(symbol)! + (Math.random() - 0.5)) * 100) / 100;
      prices.set(symbol, price);
      server.publishWithAck(`ticker:${symbol}`, JSON.stringify({ symbol, price })).catch((err) => {
        console.error(`not published (${errorText(err)})`);
      });
    }
  }, Number(values.every ?? 100));
  onShutdownSignal(async () => {
    clearInterval(timer);
    await server.shutdown({ timeout: 1000 });
    await broker?.close();
    await store.close();
  });
}

async function runClient(url: string, values: { symbol?: string; count?: string }): Promise<void> {
  const symbol = values.symbol ?? "EUR";
  const count = values.count === undefined ? Infinity : Number(values.count);
  const ws = await connect(url, { channels: true, reconnect: { minDelay: 100, maxDelay: 1000 } });
  const ticker = await ws.subscribe(`ticker:${symbol}`, { recover: true });
  ticker.on("recovery", (event) => console.log(event.recovered ? "recovered" : `missed prices (${event.reason})`));
  let seen = 0;
  await new Promise<void>((done) => {
    // A listener (not a loop): `ticker.position` is then this price's position.
    ticker.on("message", (msg) => {
      const { price } = msg.json<{ price: number }>();
      console.log(`${ticker.position?.offset} ${symbol} ${price}`);
      if (++seen >= count) done();
    });
  });
  ws.close();
}

const { values, positionals } = parseArgs({
  args: scriptArgs(),
  allowPositionals: true,
  options: {
    port: { type: "string" },
    host: { type: "string" },
    redis: { type: "string" },
    every: { type: "string" },
    symbol: { type: "string" },
    count: { type: "string" },
  },
});
const [mode = "server", url] = positionals;
try {
  if (mode === "server") await runServer(values);
  else if (mode === "client" && url !== undefined) await runClient(url, values);
  else {
    console.error(USAGE);
    exit(2);
  }
} catch (err) {
  console.error(errorText(err));
  process.exitCode = 1;
}
