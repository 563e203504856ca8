/**
 * `serve({ protocol, on })` and `createHandler({ protocol, on })`: the typed
 * router as endpoint options, instead of `message: router(protocol, on)`.
 *
 * @module
 */

import type { WebSocketOptions } from "../server/options.ts";
import type { AnyProtocol } from "./protocol.ts";
import { router } from "./router.ts";
import type { RouterHandlers, RouterOptions } from "./router.ts";

/**
 * The typed-protocol options of `serve()` and `createHandler()`: either a
 * `protocol` with one `on` handler per client message type (and optional
 * `router` options), or none of them. With `protocol`, the `message` handler
 * is the router these build, so `message` cannot be given as well.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * serve({
 *   port: 8080,
 *   protocol: chat,
 *   on: { greeting: (socket, msg) => void chat.send(socket, { type: "response", content: msg.content }) },
 *   router: { onInvalid: "close" },
 * });
 * ```
 */
export type ProtocolHandlersOption<P extends AnyProtocol, D> =
  | {
    /** The message protocol: every received message is decoded and validated with it before `on` sees it. */
    protocol: P;
    /** One handler per client message type, with the validated, typed message. */
    on: RouterHandlers<P, D>;
    /** Options of the router `on` builds: `onInvalid` (default `"reply"`) and `errorReply`. */
    router?: RouterOptions<P, D>;
    /** Not with `protocol`: the router built from `on` is the message handler. */
    message?: never;
  }
  | {
    /** Not given: no typed protocol. */
    protocol?: undefined;
    /** Only with `protocol`. */
    on?: undefined;
    /** Only with `protocol`. */
    router?: undefined;
  };

/**
 * Turns `{ protocol, on, router }` into `message: router(protocol, on,
 * router)`; returns other options unchanged. Throws a TypeError for `on`
 * without `protocol` (or the reverse), or `protocol` together with `message`.
 */
export function withProtocolHandlers<D>(options: WebSocketOptions<D>): WebSocketOptions<D> {
  const typed = options as WebSocketOptions<D> & {
    protocol?: AnyProtocol;
    on?: RouterHandlers<AnyProtocol, D>;
    router?: RouterOptions<AnyProtocol, D>;
  };
  if (typed.protocol === undefined && typed.on === undefined && typed.router === undefined) return options;
  if (typed.protocol === undefined || typeof typed.on !== "object" || typed.on === null) {
    throw new TypeError("`protocol` and `on` go together: { protocol: defineProtocol(…), on: { type(socket, msg) { … } } }");
  }
  if (options.message !== undefined) {
    throw new TypeError("give either `message` or `protocol` with `on` (which builds the message handler), not both");
  }
  return { ...options, message: router(typed.protocol, typed.on, typed.router) };
}
