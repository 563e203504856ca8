/**
 * A TCP proxy on 127.0.0.1 for tests that cut a client off without touching
 * the server: `cut()` drops every connection through it and refuses new
 * ones until `restore()`.
 */

import { connect, createServer } from "node:net";
import type { Socket } from "node:net";

/** A running proxy. */
export interface TcpProxy {
  port: number;
  url: string;
  /** Drops every connection and refuses new ones. */
  cut(): void;
  /** Accepts connections again. */
  restore(): void;
  stop(): Promise<void>;
}

/** Starts a proxy to `targetPort` on 127.0.0.1. */
export function startProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      resolve({
        port,
        url: `ws://127.0.0.1:${port}`,
        cut() {
          open = false;
          for (const s of sockets) s.destroy();
          sockets.clear();
        },
        restore() {
          open = true;
        },
        stop() {
          open = false;
          for (const s of sockets) s.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}
