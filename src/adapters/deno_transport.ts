/**
 * The core's Transport over a Deno server WebSocket: sends with the
 * backpressure limit Deno lacks, and the two things Deno's server socket
 * cannot do (drop TCP, send a ping). Internal.
 *
 * @module
 */

import type { SendResult } from "../shared/types.ts";
import type { Transport } from "../server/transport.ts";
import type { DenoWebSocket } from "./deno_api.ts";

/** The part of a Deno WebSocket a transport uses. */
export type DenoSendingSocket = Pick<DenoWebSocket, "send" | "close" | "bufferedAmount">;

/** One Deno server socket as the core sees it. */
export class DenoTransport implements Transport {
  readonly #ws: DenoSendingSocket;
  readonly #limit: number;

  constructor(ws: DenoSendingSocket, backpressureLimit: number) {
    this.#ws = ws;
    this.#limit = backpressureLimit;
  }

  send(data: string | Uint8Array): SendResult {
    // Deno buffers without limit and never reports a failed send
    // (denoland/deno#25070), so we refuse a send once backpressureLimit
    // bytes are queued, as Bun does natively (a message on an emptier buffer
    // is still accepted whole). Deno writes asynchronously, so right after
    // any send bufferedAmount is > 0: "queued" therefore means bytes were
    // already waiting before this one (the peer is not keeping up). send()
    // after close is a silent no-op in Deno; the core never calls it then.
    const ws = this.#ws;
    const before = ws.bufferedAmount;
    if (before >= this.#limit) return "dropped";
    ws.send(data as string | ArrayBufferView<ArrayBuffer>);
    return before > 0 ? "queued" : "sent";
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
    return this.#ws.bufferedAmount;
  }
}
