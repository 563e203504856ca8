/**
 * The core's Transport over one `ws` socket (the ws engine on Deno): sends
 * with the backpressure limit ws lacks (counted in what queued sends
 * really cost, send_queue.ts), the write progress the stall sweep reads,
 * and the two things Deno's own engine cannot do: drop the TCP connection
 * and send a ping. Internal.
 *
 * @module
 */

import type { SendResult } from "../shared/types.ts";
import { SendQueue } from "../server/send_queue.ts";
import type { Transport } from "../server/transport.ts";
import type { WsSocket } from "./ws_api.ts";

/** The part of a ws socket a transport uses. */
export type WsSendingSocket = Pick<WsSocket, "send" | "close" | "terminate" | "ping" | "bufferedAmount" | "readyState">;

/**
 * Memory charged per queued send beyond its frame bytes (bytes). ws on
 * Deno 2.9.5 writes each frame as two writes to a `node:net` socket (header,
 * payload), and each queued write holds a request object and a Buffer: a
 * peer that read nothing while the server queued 1,000,000 sends of 7 bytes
 * grew the server by 412 MiB, ~430 bytes per send (bench/FINDINGS.md, "ws on
 * Deno"). Rounded up to cover the FIFO entry SendQueue keeps per send.
 * Re-measure when ws or Deno's `node:net` changes.
 */
export const WS_SEND_OVERHEAD_BYTES = 512;

const TEXT = Object.freeze({ binary: false });
const BINARY = Object.freeze({ binary: true });

/** One ws socket as the core sees it. */
export class WsTransport implements Transport {
  readonly #ws: WsSendingSocket;
  readonly #limit: number;
  /** ws's bufferedAmount counts frame bytes only: this adds what each queued send costs. */
  readonly #queue = new SendQueue(WS_SEND_OVERHEAD_BYTES);

  constructor(ws: WsSendingSocket, backpressureLimit: number) {
    this.#ws = ws;
    this.#limit = backpressureLimit;
  }

  send(data: string | Uint8Array): SendResult {
    // ws buffers without limit (its send() never refuses), so a send is
    // refused once backpressureLimit is reached, as on Bun (a message on an
    // emptier buffer is still accepted whole). As on Deno, "queued" means
    // sends were already waiting before this one: the socket writes
    // asynchronously, so right after any send bufferedAmount is > 0.
    const ws = this.#ws;
    if (ws.readyState !== 1) return "dropped"; // ws is closing it on its own (a protocol error)
    const before = ws.bufferedAmount;
    const queued = this.#queue.memory(before);
    if (queued >= this.#limit) return "dropped";
    ws.send(data, typeof data === "string" ? TEXT : BINARY);
    // What the send added (frame header included; with compression, the
    // uncompressed bytes until zlib is done). Nothing when the socket wrote
    // it at once: then nothing is queued either.
    const added = ws.bufferedAmount - before;
    if (added > 0) this.#queue.record(added);
    return queued > 0 ? "queued" : "sent";
  }

  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }

  terminate(): boolean {
    this.#ws.terminate(); // destroys the TCP socket: its queued data goes with it
    return true;
  }

  ping(): boolean {
    if (this.#ws.readyState !== 1) return false;
    this.#ws.ping();
    return true;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  get writeProgress(): number {
    this.#queue.count(this.#ws.bufferedAmount);
    return this.#queue.written;
  }
}
