/**
 * Deno adapter: Deno.serve + Deno.upgradeWebSocket → core events.
 *
 * Quirks handled here (Deno 2.9, checked by running code, see
 * shared notes/RUNTIMES.md):
 * - `upgradeWebSocket({ protocol })` throws (→ HTTP 500) when the client
 *   wrote `chat,superchat` without a space, so we never pass `protocol`
 *   and set the response header ourselves (the 101's headers are mutable).
 * - an abrupt end is reported with code 0 and the idle timeout fires
 *   `close` twice (1001 then 1005); the core normalises and de-duplicates.
 * - there is no message-size option (denoland/deno#15809): the core checks
 *   every whole message; a frame over 64 MiB is refused by Deno itself.
 * - the server socket cannot be dropped (no terminate()).
 *
 * @module
 */

import type { AcceptedUpgrade, ServerCore } from "../server/core.ts";
import type { AdapterCapabilities, Transport } from "../server/transport.ts";
import type { RemoteAddress, SendResult } from "../shared/types.ts";
import { SendQueue } from "../server/send_queue.ts";

/** The parts of Deno's API this adapter uses (typed here so Bun's checker needs no Deno types). */
export interface DenoNamespace {
  upgradeWebSocket(req: Request, options?: { idleTimeout?: number }): { socket: WebSocket; response: Response };
  serve(
    options: {
      port?: number;
      hostname?: string;
      cert?: string;
      key?: string;
      signal?: AbortSignal;
      onListen?: (addr: { hostname: string; port: number }) => void;
      onError?: (err: unknown) => Response | Promise<Response>;
    },
    handler: (req: Request, info: DenoServeInfo) => Response | Promise<Response>,
  ): { addr: { hostname: string; port: number }; finished: Promise<void>; shutdown(): Promise<void> };
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

/** Deno's global namespace, typed structurally. */
export function denoNamespace(): DenoNamespace {
  return (globalThis as unknown as { Deno: DenoNamespace }).Deno;
}

export const DENO_CAPABILITIES: AdapterCapabilities = {
  runtime: "deno",
  nativeMaxMessageBytes: false,
  nativeIdleTimeout: true,
};

/**
 * Engine memory charged per queued send beyond its payload (bytes). Deno
 * 2.9.5 holds 796–1,024 bytes per queued send (a write task, the payload
 * copy, its frame); measured by bench/investigate/abuse.ts, see
 * bench/investigate/ABUSE.md. Rounded up to cover the FIFO entry
 * SendQueue keeps per send. Re-measure when Deno changes.
 */
export const DENO_SEND_OVERHEAD_BYTES = 1024;

class DenoTransport implements Transport {
  readonly #ws: WebSocket;
  readonly #limit: number;
  /** Deno's bufferedAmount counts payload bytes only: this adds what each queued send costs. */
  readonly #queue = new SendQueue(DENO_SEND_OVERHEAD_BYTES);
  /** The last bufferedAmount read while the socket was open. */
  #buffered = 0;
  constructor(ws: WebSocket, backpressureLimit: number) {
    this.#ws = ws;
    this.#limit = backpressureLimit;
  }
  send(data: string | Uint8Array): SendResult {
    // Deno buffers without limit and never reports a failed send
    // (denoland/deno#25070), so we refuse a send once backpressureLimit
    // is reached, as Bun does natively (a message on an emptier buffer is
    // still accepted whole). The limit counts the memory of the queued sends
    // (send_queue.ts), not just their bytes. Deno writes asynchronously, so
    // right after any send bufferedAmount is > 0: "queued" therefore means
    // sends were already waiting before this one (the peer is not keeping
    // up). send() after close is a silent no-op in Deno; the core never
    // calls it then.
    const ws = this.#ws;
    if (ws.readyState !== 1) return "dropped"; // Deno is closing it on its own (see #engineBuffered)
    const before = (this.#buffered = ws.bufferedAmount);
    const queued = this.#queue.memory(before);
    if (queued >= this.#limit) return "dropped";
    ws.send(data as string | ArrayBufferView<ArrayBuffer>);
    // Deno adds the UTF-8 length synchronously: read it rather than encode the text.
    this.#queue.record(typeof data === "string" ? ws.bufferedAmount - before : data.byteLength);
    return queued > 0 ? "queued" : "sent";
  }
  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }
  terminate(): boolean {
    return false; // Deno's server socket has no way to drop TCP.
  }
  ping(): boolean {
    return false; // No ping() API; Deno's own idleTimeout pings.
  }
  get bufferedAmount(): number {
    return this.#engineBuffered();
  }
  get writeProgress(): number {
    this.#queue.count(this.#engineBuffered());
    return this.#queue.written;
  }
  /**
   * Deno's bufferedAmount, or the last one read while its socket was open:
   * once Deno starts closing a socket by itself (its idle timeout, or the
   * peer's close frame) it reports 0 although everything queued is still
   * there, waiting with the close frame for a peer that may never read
   * (and then no close event ever comes). Frozen, the queue looks stuck,
   * as it is, and the stall sweep ends the connection.
   */
  #engineBuffered(): number {
    const ws = this.#ws;
    if (ws.readyState === 1) this.#buffered = ws.bufferedAmount;
    return this.#buffered;
  }
}

/** The reason Deno gives when its idleTimeout closes a silent peer. */
const DENO_IDLE_REASON = "No response from ping frame.";

function remoteOf(info: DenoServeInfo | undefined): RemoteAddress {
  const addr = info?.remoteAddr;
  return { address: addr?.hostname ?? "", port: addr?.port ?? 0 };
}

/**
 * Upgrades a request on Deno: runs the core's checks and hook, then
 * Deno.upgradeWebSocket, and wires the socket to a core connection.
 */
export async function denoUpgrade<D>(core: ServerCore<D>, req: Request, info: DenoServeInfo | undefined): Promise<Response> {
  const decision = await core.prepareUpgrade(req, remoteOf(info));
  if (decision instanceof Response) return decision;
  try {
    return denoAccept(core, req, decision);
  } catch (err) {
    core.upgradeAborted(decision.remote); // no connection will open: give its slots back
    throw err;
  }
}

function denoAccept<D>(core: ServerCore<D>, req: Request, accepted: AcceptedUpgrade<D>): Response {
  // Deno's idleTimeout pings at half the timeout and closes with 1001 at the end;
  // it takes whole seconds, so round up rather than turn a short timeout off.
  const idle = core.limits.idleTimeout;
  const { socket: ws, response } = denoNamespace().upgradeWebSocket(req, { idleTimeout: idle === 0 ? 0 : Math.max(1, Math.ceil(idle)) });
  if (accepted.protocol !== "") response.headers.set("sec-websocket-protocol", accepted.protocol);
  for (const [name, value] of Object.entries(accepted.headers)) response.headers.set(name, value);
  ws.binaryType = "arraybuffer";
  const conn = core.connection(new DenoTransport(ws, core.limits.backpressureLimit), accepted);
  ws.onopen = () => conn.opened();
  ws.onmessage = (event: MessageEvent) => conn.received(event.data as string | ArrayBuffer);
  ws.onclose = (event: CloseEvent) => {
    // Deno's own idle timeout ends with this close (the core cannot see its pings).
    if (event.code === 1001 && event.reason === DENO_IDLE_REASON && conn.state === 1) core.counters.idleTimeouts++;
    conn.closed(event.code, event.reason);
  };
  // Errors (EOF, "Frame too large") are always followed by a close event,
  // which carries what the user needs (1006); nothing to report separately.
  ws.onerror = () => {};
  return response;
}
