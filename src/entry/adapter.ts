/**
 * Picks the adapter for the runtime this code runs on: the only place that
 * does (serve() and createHandler() both come here), and the only place
 * the typed protocol's `protocol` option is turned into handlers. Internal.
 *
 * @module
 */

import { UnsupportedRuntimeError } from "../shared/errors.ts";
import { detectRuntime } from "../shared/runtime.ts";
import type { WebSocketOptions } from "../server/options.ts";
import { BunAdapter } from "../adapters/bun.ts";
import { DenoAdapter } from "../adapters/deno.ts";
import { withProtocolHandlers } from "../protocol/serve_options.ts";
import { withChannelLayer } from "../channels/service.ts";
import type { ProtocolHandlersOption } from "../protocol/serve_options.ts";
import type { AnyProtocol } from "../protocol/protocol.ts";

/** The message Node.js users see when they try to start a server. */
export const NODE_SERVER_UNSUPPORTED: string = "fullduplex servers run on Deno and Bun only: Node.js servers are not supported yet. " +
  "Run this file with `deno run -A` or `bun run`, or use the `ws` package on Node.js. " +
  "The fullduplex client (connect) works on Node.js 22+.";

/** One endpoint's adapter: `runtime` tells which. */
export type ServerAdapter<D> = DenoAdapter<D> | BunAdapter<D>;

/** The server runtime this is, or a clear error on an unsupported one. */
export function serverRuntime(): "deno" | "bun" {
  const runtime = detectRuntime();
  if (runtime === "deno" || runtime === "bun") return runtime;
  throw new UnsupportedRuntimeError(runtime === "node" ? NODE_SERVER_UNSUPPORTED : `fullduplex servers need Deno or Bun, not ${runtime}`);
}

/** Creates the adapter (and with it the core) of one endpoint for this runtime. */
export function adapterFor<D, P extends AnyProtocol>(options: WebSocketOptions<D> & ProtocolHandlersOption<P, D>): ServerAdapter<D> {
  const runtime = serverRuntime();
  const handlers = withChannelLayer(withProtocolHandlers(options));
  return runtime === "deno" ? new DenoAdapter<D>(handlers) : new BunAdapter<D>(handlers);
}
