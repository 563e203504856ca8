/**
 * Starts fullduplex servers on 127.0.0.1:0 for tests and records what their
 * handlers saw.
 */

import { createServer } from "node:http";
import { connect } from "../../mod.ts";
import type { BunServer, BunWebSocketHandler, Client, CloseInfo, DenoServeInfo, Message, ServeOptions, Server, Socket } from "../../mod.ts";
import type { WebSocketEndpoint } from "../../mod.ts";
import { RUNTIME, until } from "./runtime.ts";
import { serve, TEST_ENGINE } from "./engine.ts";

/** What a test server's handlers saw. */
export interface Recorded {
  opens: Socket<unknown>[];
  messages: { socket: Socket<unknown>; message: Message }[];
  closes: { socket: Socket<unknown>; info: CloseInfo }[];
  errors: { socket: Socket<unknown> | undefined; error: unknown }[];
}

/** A started server plus what it recorded. */
export interface TestServer extends Recorded {
  server: Server;
  url: string;
  port: number;
  /** Waits until `n` close handler calls have been recorded. */
  waitCloses(n: number, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 with a free port, on the test engine
 * (helpers/engine.ts). User handlers in `options` run after recording. The
 * default message handler echoes.
 */
export async function startServer<D = unknown>(options: ServeOptions<D> = {}): Promise<TestServer> {
  const rec: Recorded = { opens: [], messages: [], closes: [], errors: [] };
  const server = serve<D>({
    message(socket, message) {
      socket.send(message.kind === "text" ? message.text() : message.bytes());
    },
    ...options,
    hostname: "127.0.0.1",
    port: 0,
    open(socket) {
      rec.opens.push(socket as Socket<unknown>);
      return options.open?.(socket);
    },
    ...(options.message
      ? {
        message(socket: Socket<D>, message: Message) {
          rec.messages.push({ socket: socket as Socket<unknown>, message });
          return options.message!(socket, message);
        },
      }
      : {}),
    close(socket, info) {
      rec.closes.push({ socket: socket as Socket<unknown>, info });
      return options.close?.(socket, info);
    },
    error(socket, error) {
      rec.errors.push({ socket: socket as Socket<unknown> | undefined, error });
      options.error?.(socket, error);
    },
  });
  await server.ready;
  return {
    ...rec,
    server,
    url: `ws://127.0.0.1:${server.port}`,
    port: server.port,
    waitCloses(n, ms = 5000) {
      return until(() => rec.closes.length >= n, `${n} close handler call(s), saw ${rec.closes.length}`, ms);
    },
    stop: () => server.shutdown({ timeout: 1000 }),
  };
}

/** Reads the next message from a client, or throws after `ms`. */
export async function nextMessage(client: Client, ms = 5000): Promise<Message> {
  const it = client[Symbol.asyncIterator]();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const result = await Promise.race([
      it.next(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no message within ${ms} ms`)), ms))),
    ]);
    if (result.done) throw new Error(`connection closed (${client.closeCode}) before a message arrived`);
    return result.value;
  } finally {
    clearTimeout(timer);
    await it.return?.();
  }
}

/** Connects a client to a test server. */
export function client(ts: TestServer, protocols?: string[]): Promise<Client> {
  return connect(ts.url, { protocols, timeout: 5000 });
}

/**
 * Mounts an endpoint in the runtime's own server, which keeps listening
 * after the endpoint shuts down: Deno.serve, Bun.serve, or for the ws
 * engine a node:http server (`handleNodeUpgrade`). Plain requests get "plain".
 */
export async function mount(endpoint: WebSocketEndpoint): Promise<{ port: number; stop(): Promise<void> }> {
  const g = globalThis as unknown as {
    Deno?: {
      serve(
        o: { port: number; hostname: string; onListen(): void },
        h: (req: Request, info: DenoServeInfo) => Response | Promise<Response>,
      ): {
        addr: { port: number };
        shutdown(): Promise<void>;
      };
    };
    Bun?: {
      serve(
        o: { port: number; hostname: string; fetch(req: Request, srv: BunServer): unknown; websocket: BunWebSocketHandler<unknown> },
      ): BunServer;
    };
  };
  if (TEST_ENGINE === "ws") {
    const server = createServer((_req, res) => res.end("plain"));
    server.on("upgrade", (req, socket, head) => endpoint.handleNodeUpgrade(req, socket, head));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    return {
      port,
      stop: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }
  if (RUNTIME === "deno") {
    const server = g.Deno!.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      (req, info) => endpoint.handleUpgrade(req, info) ?? new Response("plain"),
    );
    return { port: server.addr.port, stop: () => server.shutdown() };
  }
  const server = g.Bun!.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req, srv) => endpoint.upgrade(req, srv),
    websocket: endpoint.websocket,
  });
  return { port: server.port!, stop: () => server.stop(true) };
}
