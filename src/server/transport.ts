/**
 * The contract between the runtime-neutral core and a runtime adapter:
 * what the core may ask of one native socket ({@link Transport}), and the
 * one object an adapter hands the core when it creates it
 * ({@link AdapterPort}: its engine's capabilities and its topic fan-out).
 * The core never learns which runtime it runs on. Internal; not exported
 * from mod.ts.
 *
 * @module
 */

import type { SendResult } from "../shared/types.ts";
import type { TopicEngine } from "./topics.ts";

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
  /** The engine itself enforces maxMessageBytes (Bun: maxPayloadLength); else each connection checks. */
  readonly nativeMaxMessageBytes: boolean;
  /** The engine itself runs the idle timeout with pings (Deno); else the core sweeps and pings. */
  readonly nativeIdleTimeout: boolean;
}

/**
 * Everything an adapter gives the core, in one object. `T` is the adapter's
 * own transport class: its topic engine works on those handles directly
 * (Bun's native topics call the Bun socket), so nothing is cast.
 */
export interface AdapterPort<T extends Transport> {
  readonly capabilities: AdapterCapabilities;
  /** Local topic fan-out: the engine's own (Bun) or the core's in-process one (Deno). */
  readonly topics: TopicEngine<T>;
}
