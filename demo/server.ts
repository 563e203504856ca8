/**
 * The demo server: echo + JSON + binary on one endpoint (the seeds'
 * server), and a small browser page at `/`. `fullduplex serve` runs it, and
 * so does server.ts at the repository root.
 *
 * Channels are on, with presence, for one topic, `chat`: the page
 * subscribes to it and lists who is online. A member's info is the name the
 * server took from `?name=` in the upgrade (else `guest-xxxx`). Plain
 * clients (that do not offer `fullduplex.channels.v1`) see none of it: their
 * frames are the echo protocol's, as before.
 *
 * Ctrl-C (SIGINT) or SIGTERM closes every peer with 1001 and ends it.
 *
 * Limits against hostile peers are on by default (0 turns one off); the
 * figures behind them are in bench/investigate/ABUSE.md (issue 12):
 * - `--rate-limit N`: each connection may send N messages a second (bursts
 *   of 2N); a peer over it is closed with 1008. A peer flooding tiny
 *   messages otherwise delays every other client's round trip by up to
 *   0.5-1.2 s; with the limit, by at most ~15 ms. The demo's own clients
 *   send a few messages a second.
 * - `--max-per-address N`: connections one address may hold (429 beyond).
 * - `--upgrades-per-second N`: upgrades one address may ask for (bursts of
 *   2N; 429 with Retry-After beyond).
 * - a peer that keeps sending while its replies are refused at the
 *   backpressure limit (it reads nothing) is closed with 1008 after 1,000
 *   such messages.
 * With --quiet nothing is formatted at all: the handlers that only log are
 * not even installed (a log line for a 64 KiB binary message used to cost
 * 15-25x the echo itself).
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { serve } from "../mod.ts";
import type { CloseInfo, Socket } from "../mod.ts";
import { demoReply } from "./protocol.ts";
import { DEMO_PAGE } from "./page.ts";
import { clientBundleResponse } from "./bundle.ts";
import { errorText, formatBytes, formatText, onShutdownSignal } from "./cli.ts";

/** The flags, after the command's name. */
const FLAGS = "[--port N] [--host H] [--max-message-bytes N] [--idle-timeout S] [--rate-limit N] [--max-per-address N] " +
  "[--upgrades-per-second N] [--quiet]";

/** The one channel of the demo: the page's "who is online" list. */
const DEMO_CHANNEL = "chat";

/** What the demo keeps per connection: the name others see in the online list. */
interface DemoUser {
  name: string;
}

/** A name from `?name=` (letters, digits, `_`, `-`, at most 32), else `guest-xxxx`; never refuses a connection. */
function demoName(url: URL): string {
  const asked = (url.searchParams.get("name") ?? "").trim();
  return /^[\w-]{1,32}$/.test(asked) ? asked : `guest-${crypto.randomUUID().slice(0, 4)}`;
}

/** Who may do what on channels: subscribe to the demo's one topic; nobody publishes. */
function authorizeDemo(topic: string, action: "subscribe" | "publish"): boolean | string {
  if (topic !== DEMO_CHANNEL) return `the demo has one channel, ${DEMO_CHANNEL}`;
  return action === "subscribe" || "the demo's channel is for presence only";
}

/** Options of {@link runDemoServer}. */
export interface DemoServerOptions {
  /** How the usage line names the command: "server.ts" or "fullduplex serve". */
  name: string;
}

/**
 * Runs the demo server with command-line `args` until SIGINT or SIGTERM;
 * resolves with the exit code (0 after a clean shutdown, 2 for bad
 * arguments, 1 when it cannot start, e.g. on Node.js or a port in use).
 */
export async function runDemoServer(args: string[], options: DemoServerOptions): Promise<number> {
  const usage = `usage: ${options.name} ${FLAGS}`;
  let values;
  try {
    values = parseArgs({
      args,
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
    console.error(`Error: ${errorText(err)}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(`${usage}\n\n${HELP}`);
    return 0;
  }
  const numbers: Record<string, number> = {};
  for (const [name, value, fallback] of [
    ["port", values.port ?? process.env.PORT, 8080],
    ["max-message-bytes", values["max-message-bytes"], 1024 * 1024],
    ["idle-timeout", values["idle-timeout"], 60],
    ["rate-limit", values["rate-limit"], 100],
    ["max-per-address", values["max-per-address"], 64],
    ["upgrades-per-second", values["upgrades-per-second"], 20],
  ] as const) {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(n) || n < 0) {
      console.error(`Error: --${name} must be a whole number, got ${JSON.stringify(value)}\n${usage}`);
      return 2;
    }
    numbers[name] = n;
  }
  const host = values.host;
  const quiet = values.quiet;
  const rate = numbers["rate-limit"];
  const upgrades = numbers["upgrades-per-second"];

  let server;
  try {
    server = serve<DemoUser>({
      port: numbers.port,
      hostname: host,
      maxMessageBytes: numbers["max-message-bytes"],
      idleTimeout: numbers["idle-timeout"],
      rateLimit: rate === 0 ? undefined : { messagesPerSecond: rate, burst: 2 * rate, action: "close" },
      maxConnectionsPerAddress: numbers["max-per-address"] === 0 ? undefined : numbers["max-per-address"],
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
        return new Response(
          "not found: this server speaks WebSocket at / and serves a demo page at GET / (and its script at GET /client.js)\n",
          { status: 404 },
        );
      },
      upgrade: (_req, { url }) => ({ data: { name: demoName(url) } }),
      channels: {
        authorize: (_socket, topic, action) => authorizeDemo(topic, action),
        presence: (socket) => ({ name: socket.data.name }),
      },
      // With --quiet no logging handler is installed at all: logging that is off costs nothing.
      ...(quiet ? {} : {
        open(socket: Socket<DemoUser>) {
          console.log(`Client connected: ${socket.id} from ${socket.remoteAddress.address}:${socket.remoteAddress.port}`);
        },
        close(socket: Socket<DemoUser>, { code, reason }: CloseInfo) {
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
  } catch (err) {
    console.error(`Error: ${errorText(err)}`);
    if (options.name.startsWith("fullduplex") && typeof (globalThis as { Deno?: unknown }).Deno !== "object" && !("Bun" in globalThis)) {
      console.error("Run the server on Bun or Deno: bunx --bun fullduplex serve, or deno run -A jsr:@fullduplex/fullduplex/cli serve");
    }
    return 1;
  }
  // Print the host the user asked for (the seeds print ws://localhost:8080).
  const shown = host.includes(":") ? `[${host}]` : host;
  console.log(`WebSocket server listening on ws://${shown}:${server.port}`);

  const running = server;
  return await new Promise<number>((resolve) => {
    onShutdownSignal(async () => {
      if (!quiet) console.log("Shutting down");
      await running.shutdown({ code: 1001, reason: "server shutting down", timeout: 3000 });
      resolve(0);
    });
  });
}

/** What the demo server does, for --help. */
const HELP = `The demo server: one WebSocket endpoint at / that
  - echoes binary messages byte for byte,
  - answers JSON {"type":"greeting"} with {"type":"response","content":"Hello Client"}
    (other JSON gets {"type":"error","error":"..."}, and the connection stays open),
  - answers any other text with "Echo: <text>";
and a page at GET / that talks to it from a browser and lists who else has it open
(channels with presence on the topic "chat", names from ?name=).

  --port N               port (default 8080, or $PORT; 0 picks a free one)
  --host H               address to listen on (default localhost)
  --max-message-bytes N  largest message accepted (default 1048576); larger ones close with 1009
  --idle-timeout S       seconds of silence before a peer is dropped (default 60; 0: never)
  --rate-limit N         messages a second per connection, bursts of 2N (default 100; 0: off); over it: close 1008
  --max-per-address N    connections one address may hold (default 64; 0: no limit); beyond: 429
  --upgrades-per-second N  upgrades one address may ask for, bursts of 2N (default 20; 0: off); beyond: 429
  --quiet                do not log connections and messages (nothing is formatted)

Ctrl-C or SIGTERM closes every peer with 1001 and exits.`;
