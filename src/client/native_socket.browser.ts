/**
 * Browser twin of native_socket.ts, used by the browser bundle (see
 * scripts/build_browser.mjs): only the standard WebSocket, no runtime
 * detection. Internal.
 *
 * @module
 */

import { webSocketConstructor } from "./websocket_global.ts";
import type { NativeSocket, NativeSocketOptions } from "./native_socket_types.ts";

/** Browsers take only protocols: headers and a custom CA cannot be set there. */
export function createNativeSocket(href: string, options: NativeSocketOptions): NativeSocket {
  if (options.headers) throw new Error("custom headers cannot be sent from a browser (use a query parameter or a cookie)");
  if (options.ca) throw new Error("a custom CA cannot be set from a browser: it uses the system's trust store");
  const WebSocketCtor = webSocketConstructor();
  return { ws: new WebSocketCtor(href, options.protocols), release() {} };
}
