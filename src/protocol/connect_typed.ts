/**
 * `connectTyped()`: `connect()` and `typedClient()` in one call.
 *
 * @module
 */

import { connect } from "../client/connect.ts";
import type { Client } from "../client/client.ts";
import type { ConnectOptions, UrlSource } from "../client/types.ts";
import { typedClient } from "./client.ts";
import type { TypedClient, TypedClientOptions } from "./client.ts";
import type { AnyProtocol } from "./protocol.ts";

/**
 * Options of {@link connectTyped}: every option of `connect()` plus those of
 * `typedClient()`.
 *
 * @example
 * ```ts
 * import type { ConnectTypedOptions } from "@fullduplex/fullduplex/protocol";
 * const options: ConnectTypedOptions = { reconnect: true, requestTimeout: 5000, onInvalid: (p) => console.warn(p.message) };
 * ```
 */
export interface ConnectTypedOptions extends ConnectOptions, TypedClientOptions {}

/**
 * Connects like `connect(url, options)` and wraps the client with a
 * protocol, like `typedClient(client, protocol, options)`: typed `send`,
 * `request`, `on` and iteration, with every received message validated.
 * The untyped client stays at `.client` (close codes, events, raw frames).
 * `requestTimeout` defaults to `request.timeout`, then 10000 ms.
 *
 * @example
 * ```ts
 * import { connectTyped, defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const ws = await connectTyped("ws://localhost:8080", chat, { reconnect: true });
 * const reply = await ws.request({ type: "greeting", content: "Hello Server" }, { reply: "response" });
 * console.log(reply.content);
 * await ws.close();
 * ```
 */
export async function connectTyped<P extends AnyProtocol>(
  url: UrlSource,
  protocol: P,
  options: ConnectTypedOptions = {},
): Promise<TypedClient<P, Client>> {
  const { onInvalid, requestTimeout, ...connectOptions } = options;
  const client = await connect(url, connectOptions);
  return typedClient(client, protocol, { onInvalid, requestTimeout: requestTimeout ?? options.request?.timeout });
}
