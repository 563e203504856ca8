/**
 * `connect()`: a client over the standard `WebSocket` (Deno, Bun, browsers,
 * Node.js 22+) that resolves when open, iterates messages, reports close
 * codes the same way everywhere and closes cleanly. This file only checks
 * the options, applies their defaults and starts a {@link Client}
 * (client.ts), which does the rest.
 *
 * @module
 */

import { Client } from "./client.ts";
import type { Settings } from "./client.ts";
import { resolveReconnect } from "./reconnect.ts";
import { OfflineQueue, resolveQueue } from "./queue.ts";
import { resolveClientHeartbeat } from "./heartbeat.ts";
import { JsonRequests, resolveRequestDefaults } from "./request.ts";
import type { ConnectOptions, UrlSource } from "./types.ts";

/**
 * Opens a WebSocket connection and resolves with a {@link Client} once it is
 * open. Without `reconnect`, rejects with a {@link ConnectError} naming the
 * URL and the reason on refusal, DNS or TLS failure, a refused handshake, or
 * after `timeout` ms. With `reconnect`, failed first attempts are retried
 * with the same backoff as later drops, and it rejects (ConnectError, "gave
 * up after N reconnect attempts") once `reconnect.maxRetries` is reached.
 * A bad URL or bad options reject at once either way.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", {
 *   reconnect: { minDelay: 500, maxDelay: 30_000 },
 *   heartbeat: { interval: 30_000, timeout: 10_000 },
 * });
 * ws.on("reconnecting", ({ attempt, delay }) => console.log(`reconnecting (#${attempt}) in ${delay} ms`));
 * ws.sendJson({ type: "greeting", content: "Hello Server" });
 * for await (const msg of ws) {
 *   console.log(msg.json());
 *   break;
 * }
 * await ws.close();
 * ```
 */
export function connect(url: UrlSource, options: ConnectOptions = {}): Promise<Client> {
  return new Promise<Client>((resolve, reject) => {
    let settings: Settings;
    try {
      if (options.channels !== undefined && typeof options.channels !== "boolean") {
        throw new TypeError(`channels must be true or false, got ${String(options.channels)}`);
      }
      const reconnect = resolveReconnect(options.reconnect);
      const queueLimits = reconnect === undefined ? undefined : resolveQueue(options.queue);
      settings = {
        reconnect,
        queue: queueLimits === undefined ? undefined : new OfflineQueue(queueLimits),
        heartbeat: resolveClientHeartbeat(options.heartbeat),
        requests: new JsonRequests(resolveRequestDefaults(options.request)),
      };
    } catch (err) {
      reject(err);
      return;
    }
    new Client(url, options, settings, { resolve, reject });
  });
}
