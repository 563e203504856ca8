/**
 * The core's Transport over a Deno server WebSocket: sends with the
 * backpressure limit Deno lacks (counted in what queued sends really cost,
 * send_queue.ts), the write progress the stall sweep reads, and the two
 * things Deno's server socket cannot do (drop TCP, send a ping). Internal.
 *
 * @module
 */

import type { SendResult } from "../shared/types.ts";
import { SendQueue } from "../server/send_queue.ts";
import type { Transport } from "../server/transport.ts";
import type { DenoWebSocket } from "./deno_api.ts";

/** The part of a Deno WebSocket a transport uses. */
export type DenoSendingSocket = Pick<DenoWebSocket, "send" | "close" | "bufferedAmount" | "readyState">;

/**
 * Engine memory charged per queued send beyond its payload (bytes). Deno
 * 2.9.5 holds 796–1,024 bytes per queued send (a write task, the payload
 * copy, its frame); measured by bench/investigate/abuse.ts, see
 * bench/investigate/ABUSE.md. Rounded up to cover the FIFO entry
 * SendQueue keeps per send. Re-measure when Deno changes.
 */
export const DENO_SEND_OVERHEAD_BYTES = 1024;

/** One Deno server socket as the core sees it. */
export class DenoTransport implements Transport {
  readonly #ws: DenoSendingSocket;
  readonly #limit: number;
  /** Deno's bufferedAmount counts payload bytes only: this adds what each queued send costs. */
  readonly #queue = new SendQueue(DENO_SEND_OVERHEAD_BYTES);
  /** The last bufferedAmount read while the socket was open. */
  #buffered = 0;

  constructor(ws: DenoSendingSocket, backpressureLimit: number) {
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
    return false; // Deno's server socket has no way to drop TCP (the core counts it as lingering).
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
