/**
 * How a {@link BrokerMessage} travels through Redis pub/sub, and how the
 * history store keeps a payload in a stream entry. One format for both
 * runtimes, because a Deno server and a Bun server share the channels:
 *
 *   <kind><origin>\n<payload>
 *
 * kind `t`: the payload is the text itself; kind `b`: the payload is the
 * bytes in base64. A message with a history position (kinds `T` and `B`)
 * carries it after the origin: `<kind><origin>\n<epoch>\n<offset>\n<payload>`. Bun's subscriber hands over strings only (binary-safe
 * byte strings are not available there), so bytes cannot travel raw.
 * Internal.
 *
 * @module
 */

import type { BrokerMessage } from "./broker.ts";
import { isPosition } from "../shared/position.ts";
import type { StreamPosition } from "../shared/position.ts";

/** Base64 on Uint8Array (TC39 proposal, shipped by Deno 2 and Bun 1.2+; not yet in TypeScript's lib). */
interface Base64Uint8Array {
  toBase64(): string;
}
const Base64 = Uint8Array as unknown as { fromBase64(text: string): Uint8Array };

/** Encodes a message for a Redis channel. */
export function encodeRedisMessage(message: BrokerMessage): string {
  const data = message.data;
  const position = message.position;
  const head = position === undefined ? message.origin : `${message.origin}\n${position.epoch}\n${position.offset}`;
  if (typeof data === "string") return `${position === undefined ? "t" : "T"}${head}\n${data}`;
  return `${position === undefined ? "b" : "B"}${head}\n${(data as unknown as Base64Uint8Array).toBase64()}`;
}

/** Decodes a message from a Redis channel, or returns undefined for one fullduplex did not write. */
export function decodeRedisMessage(topic: string, raw: string): BrokerMessage | undefined {
  const kind = raw.charCodeAt(0);
  const newline = raw.indexOf("\n");
  if (newline < 1) return undefined;
  const origin = raw.slice(1, newline);
  let start = newline + 1;
  let position: StreamPosition | undefined;
  if (kind === 84 /* T */ || kind === 66 /* B */) {
    const afterEpoch = raw.indexOf("\n", start);
    const afterOffset = afterEpoch < 0 ? -1 : raw.indexOf("\n", afterEpoch + 1);
    if (afterOffset < 0) return undefined;
    position = { epoch: raw.slice(start, afterEpoch), offset: Number(raw.slice(afterEpoch + 1, afterOffset)) };
    if (!isPosition(position)) return undefined;
    start = afterOffset + 1;
  }
  let data: string | Uint8Array;
  if (kind === 116 /* t */ || kind === 84 /* T */) data = raw.slice(start);
  else if (kind === 98 /* b */ || kind === 66 /* B */) {
    try {
      data = Base64.fromBase64(raw.slice(start));
    } catch {
      return undefined;
    }
  } else return undefined;
  return position === undefined ? { topic, origin, data } : { topic, origin, data, position };
}

/**
 * Encodes a payload for the history store's stream entries, the same on
 * both runtimes so a Deno server and a Bun server read each other's
 * history: `t` then the text, or `b` then the bytes in base64 (Bun's
 * client reads replies as strings only).
 */
export function encodeStoredPayload(data: string | Uint8Array): string {
  if (typeof data === "string") return `t${data}`;
  return `b${(data as unknown as Base64Uint8Array).toBase64()}`;
}

/** Decodes a stored payload, or returns undefined for one fullduplex did not write. */
export function decodeStoredPayload(raw: string): string | Uint8Array | undefined {
  const kind = raw.charCodeAt(0);
  if (kind === 116 /* t */) return raw.slice(1);
  if (kind === 98 /* b */) {
    try {
      return Base64.fromBase64(raw.slice(1));
    } catch {
      return undefined;
    }
  }
  return undefined;
}
