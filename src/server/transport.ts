/**
 * The contract between the runtime-neutral core and a runtime adapter: what
 * the core may ask of one native socket. Internal; not exported from mod.ts.
 *
 * @module
 */

import type { SendResult } from "../shared/types.ts";

/** One native socket as the core sees it. */
export interface Transport {
  /** Sends a frame; text for strings, binary for bytes. */
  send(data: string | Uint8Array): SendResult;
  /** Starts the close handshake with a code the core has already validated. */
  close(code: number, reason: string): void;
  /** Drops the TCP connection at once. Returns false where the runtime cannot. */
  terminate(): boolean;
  /** Sends a protocol ping. Returns false where the runtime cannot. */
  ping(): boolean;
  /** Bytes accepted by send() that the engine has not written to the network yet. */
  readonly bufferedAmount: number;
  /**
   * A number that changes whenever the engine writes queued data to the
   * network, and stands still while the peer reads nothing (Deno: bytes
   * written; Bun: drain events). The stall check (write_stall.ts) reads it.
   */
  readonly writeProgress: number;
}

/** What an adapter tells the core about its engine. */
export interface AdapterCapabilities {
  /** The runtime's name, for messages. */
  runtime: "deno" | "bun";
  /** The engine itself enforces maxMessageBytes (Bun: maxPayloadLength). */
  nativeMaxMessageBytes: boolean;
  /** The engine itself runs the idle timeout with pings (Deno); else the core pings. */
  nativeIdleTimeout: boolean;
}
