/**
 * The core's Transport over a Bun ServerWebSocket, plus the per-socket
 * topic calls the Bun topic engine (bun_topics.ts) makes on it. Internal.
 *
 * @module
 */

import type { SendResult } from "../shared/types.ts";
import type { Transport } from "../server/transport.ts";
import type { BunServerWebSocket } from "./bun_api.ts";

/** One Bun server socket as the core (and the Bun topic engine) sees it. */
export class BunTransport implements Transport {
  readonly #ws: BunServerWebSocket<unknown>;
  /** Bun's drain events so far: each one means queued data was written. */
  #drains = 0;

  constructor(ws: BunServerWebSocket<unknown>) {
    this.#ws = ws;
  }

  send(data: string | Uint8Array): SendResult {
    // Bun: bytes written, -1 queued under backpressure, 0 dropped (or an empty message). Its
    // backpressureLimit bounds real memory: uWS keeps one contiguous buffer
    // and counts frame headers, ~0.3–6 bytes per queued send beyond the
    // payload (measured, bench/investigate/ABUSE.md), so nothing to add.
    const n = this.#ws.send(data);
    return n > 0 ? "sent" : n === -1 ? "queued" : data.length === 0 ? "sent" : "dropped";
  }

  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }

  terminate(): boolean {
    this.#ws.terminate();
    return true;
  }

  ping(): boolean {
    this.#ws.ping();
    return true;
  }

  get bufferedAmount(): number {
    return this.#ws.getBufferedAmount();
  }

  get writeProgress(): number {
    return this.#drains;
  }

  /** Bun wrote some of the queued data (its `drain` event; the adapter calls this). */
  wrote(): void {
    this.#drains++;
  }

  /** Joins a native topic. */
  subscribe(topic: string): void {
    this.#ws.subscribe(topic);
  }

  /** Leaves a native topic. */
  unsubscribe(topic: string): void {
    this.#ws.unsubscribe(topic);
  }

  /** Publishes to a native topic's subscribers but this socket. */
  publish(topic: string, data: string | Uint8Array): number {
    return this.#ws.publish(topic, data);
  }
}
