/**
 * Creates the runtime's own WebSocket for one connection attempt, with the
 * options only Deno and Bun accept (handshake headers, a private CA). The
 * browser build swaps this file for native_socket.browser.ts, so no
 * Deno/Bun code reaches a browser bundle. Internal.
 *
 * @module
 */

import { webSocketConstructor } from "./websocket_global.ts";
import type { NativeSocket, NativeSocketOptions } from "./native_socket_types.ts";

interface DenoHttpClientFactory {
  createHttpClient?(options: { caCerts: string[] }): { close(): void };
}

/**
 * Deno and Bun take an options object (`headers`, and a CA as Deno's
 * `client` or Bun's `tls`); browsers and Node.js take only protocols.
 */
export function createNativeSocket(href: string, options: NativeSocketOptions): NativeSocket {
  const WebSocketCtor = webSocketConstructor();
  const g = globalThis as { Deno?: DenoHttpClientFactory; Bun?: unknown };
  if (typeof g.Deno !== "object" && typeof g.Bun !== "object") {
    if (options.headers) throw new Error("custom headers need Deno or Bun: browsers and Node.js cannot send them");
    if (options.ca) throw new Error("a custom CA needs Deno or Bun: browsers and Node.js use the system's trust store");
    return { ws: new WebSocketCtor(href, options.protocols), release() {} };
  }
  const init: Record<string, unknown> = { protocols: options.protocols };
  if (options.headers) init.headers = options.headers;
  let httpClient: { close(): void } | undefined;
  if (options.ca) {
    // Bun takes `tls: { ca }`; Deno takes an HttpClient with its own CA list
    // (stable since Deno 2), which is only needed for the handshake.
    const deno = g.Deno;
    if (typeof deno?.createHttpClient === "function") {
      httpClient = deno.createHttpClient({ caCerts: ([] as string[]).concat(options.ca) });
      init.client = httpClient;
    } else init.tls = { ca: options.ca };
  }
  try {
    const ws = new WebSocketCtor(href, init);
    return {
      ws,
      release() {
        httpClient?.close();
        httpClient = undefined;
      },
    };
  } catch (err) {
    httpClient?.close();
    throw err;
  }
}
