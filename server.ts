/**
 * The demo server: echo + JSON + binary on one endpoint (the seeds'
 * server), and a small browser page at `/`.
 *
 *   deno run -A server.ts [--port 8080] [--host localhost] [--max-message-bytes 1048576]
 *                         [--idle-timeout 60] [--rate-limit 100] [--max-per-address 64]
 *                         [--upgrades-per-second 20] [--quiet]
 *   bun run server.ts …
 *
 * Ctrl-C (SIGINT) or SIGTERM closes every peer with 1001 and exits.
 *
 * Limits against hostile peers are on by default (0 turns one off); the
 * figures behind them are in bench/investigate/ABUSE.md:
 * - `--rate-limit N`: each connection may send N messages a second (bursts
 *   of 2N); a peer over it is closed with 1008. A peer flooding tiny
 *   messages otherwise delays every other client's round trip by up to
 *   0.5–1.2 s; with the limit, by at most ~15 ms. The demo's own clients send a
 *   few messages a second.
 * - `--max-per-address N`: connections one address may hold (429 beyond).
 * - `--upgrades-per-second N`: upgrades one address may ask for (bursts of
 *   2N; 429 with Retry-After beyond).
 * - a peer that keeps sending while its replies are refused at the
 *   backpressure limit (it reads nothing) is closed with 1008 after 1,000
 *   such messages.
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { serve } from "./mod.ts";
import type { CloseInfo, Socket } from "./mod.ts";
import { demoReply } from "./demo/protocol.ts";
import { DEMO_PAGE } from "./demo/page.ts";
import { clientBundleResponse } from "./demo/bundle.ts";
import { errorText, formatBytes, formatText, onShutdownSignal, scriptArgs } from "./demo/cli.ts";

const USAGE = "usage: server.ts [--port N] [--host H] [--max-message-bytes N] [--idle-timeout S] [--rate-limit N] " +
  "[--max-per-address N] [--upgrades-per-second N] [--quiet]";

function intOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`Error: --${name} must be a whole number, got ${JSON.stringify(value)}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

let args;
try {
  args = parseArgs({
    args: scriptArgs(),
    options: {
      port: { type: "string" },
      host: { type: "string", default: "localhost" },
      "max-message-bytes": { type: "string" },
      "idle-timeout": { type: "string" },
      "rate-limit": { type: "string" },
      "max-per-address": { type: "string" },
      "upgrades-per-second": { type: "string" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
} catch (err) {
  console.error(`Error: ${errorText(err)}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

// With --quiet, nothing is formatted at all: the handlers that only log are
// not even installed (a log line for a 64 KiB binary message used to cost
// 15-25x the echo itself, issue 12).
const quiet = args.quiet;
const port = intOption("port", args.port ?? process.env.PORT, 8080);

const rate = intOption("rate-limit", args["rate-limit"], 100);
const perAddress = intOption("max-per-address", args["max-per-address"], 64);
const upgrades = intOption("upgrades-per-second", args["upgrades-per-second"], 20);

const server = serve({
  port,
  hostname: args.host,
  maxMessageBytes: intOption("max-message-bytes", args["max-message-bytes"], 1024 * 1024),
  idleTimeout: intOption("idle-timeout", args["idle-timeout"], 60),
  rateLimit: rate === 0 ? undefined : { messagesPerSecond: rate, burst: 2 * rate, action: "close" },
  maxConnectionsPerAddress: perAddress === 0 ? undefined : perAddress,
  upgradeRateLimit: upgrades === 0 ? undefined : { perSecond: upgrades, burst: 2 * upgrades },
  maxMessagesWhileBackpressured: 1000,
  // The message handler is synchronous and keeps nothing: free each binary
  // message's buffer at once (Deno: the 64 KiB echo's peak RSS growth 56 -> 11 MiB).
  releaseReceivedBuffers: true,
  fetch(req) {
    const { pathname } = new URL(req.url);
    if (req.method === "GET" && pathname === "/") {
      return new Response(DEMO_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    if (req.method === "GET" && pathname === "/client.js") return clientBundleResponse();
    return new Response("not found: this server speaks WebSocket at / and serves a demo page at GET / (and its script at GET /client.js)\n", { status: 404 });
  },
  ...(quiet ? {} : {
    open(socket: Socket) {
      console.log(`Client connected: ${socket.id} from ${socket.remoteAddress.address}:${socket.remoteAddress.port}`);
    },
    close(socket: Socket, { code, reason }: CloseInfo) {
      console.log(`Client disconnected: ${socket.id} (${code}${reason ? ` ${reason}` : ""})`);
    },
  }),
  message: quiet ? (socket, msg) => void socket.send(demoReply(msg)) : (socket, msg) => {
    console.log(msg.kind === "text" ? `Received: ${formatText(msg.text())}` : `Received binary: ${formatBytes(msg.bytes())}`);
    socket.send(demoReply(msg));
  },
  error(_socket, err) {
    console.error(`Error: ${errorText(err)}`);
  },
});

await server.ready;
// Print the host the user asked for (the seeds print ws://localhost:8080).
const shown = args.host.includes(":") ? `[${args.host}]` : args.host;
console.log(`WebSocket server listening on ws://${shown}:${server.port}`);

onShutdownSignal(async () => {
  if (!quiet) console.log("Shutting down");
  await server.shutdown({ code: 1001, reason: "server shutting down", timeout: 3000 });
  process.exit(0);
});
