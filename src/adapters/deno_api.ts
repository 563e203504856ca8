/**
 * The parts of Deno's API the Deno adapter uses, typed here so that Bun's
 * type checker needs no Deno types, and the one place that reads the
 * `Deno` global. Internal, except the {@link DenoServeInfo} type.
 *
 * @module
 */

/** What a Deno server WebSocket offers the adapter (a real `WebSocket` from Deno.upgradeWebSocket fits). */
export interface DenoWebSocket {
  binaryType: string;
  readonly bufferedAmount: number;
  /** 1 while open; Deno's count of queued bytes reads 0 once it starts closing by itself (deno_transport.ts). */
  readonly readyState: number;
  send(data: string | ArrayBufferView<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: Event) => unknown) | null;
  onmessage: ((event: MessageEvent) => unknown) | null;
  onclose: ((event: CloseEvent) => unknown) | null;
  onerror: ((event: Event) => unknown) | null;
}

/** Options of Deno.serve the entry point passes. */
export interface DenoServeOptions {
  port?: number;
  hostname?: string;
  cert?: string;
  key?: string;
  /** SO_REUSEPORT (needs --unstable-net on Deno 2.9: serve() checks). */
  reusePort?: boolean;
  signal?: AbortSignal;
  onListen?: (addr: { hostname: string; port: number }) => void;
  onError?: (err: unknown) => Response | Promise<Response>;
}

/** A running Deno.serve server. */
export interface DenoHttpServer {
  readonly addr: { hostname: string; port: number };
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}

/** The parts of the `Deno` namespace this adapter uses. */
export interface DenoNamespace {
  upgradeWebSocket(req: Request, options?: { idleTimeout?: number }): { socket: DenoWebSocket; response: Response };
  serve(options: DenoServeOptions, handler: (req: Request, info: DenoServeInfo) => Response | Promise<Response>): DenoHttpServer;
}

/**
 * The second argument Deno.serve passes to its handler.
 *
 * @example
 * ```ts
 * import { createHandler } from "@fullduplex/fullduplex";
 * import type { DenoServeInfo } from "@fullduplex/fullduplex";
 * const ws = createHandler();
 * Deno.serve((req: Request, info: DenoServeInfo) => ws.handleUpgrade(req, info) ?? new Response("hello"));
 * ```
 */
export interface DenoServeInfo {
  /** The peer's address. */
  remoteAddr: { hostname: string; port: number; transport?: string };
}

/**
 * Whether this Deno run has the `net` unstable feature (`--unstable-net`,
 * or `"unstable": ["net"]` in deno.json). Deno 2.9.5 gates `reusePort`
 * behind it, and without it `Deno.serve({ reusePort: true })` prints
 * "Unstable API ..." and ends the process (exit code 70: nothing to
 * catch), so serve() asks first. `Deno.listenDatagram` is that feature's
 * own API: it exists exactly when the feature is on (checked with and
 * without the flag, and with deno.json's `unstable`).
 */
export function denoHasUnstableNet(): boolean {
  return typeof (globalThis as unknown as { Deno?: { listenDatagram?: unknown } }).Deno?.listenDatagram === "function";
}

/** Deno's global namespace, typed structurally. */
export function denoNamespace(): DenoNamespace {
  return (globalThis as unknown as { Deno: DenoNamespace }).Deno;
}
