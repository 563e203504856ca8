/**
 * How a {@link BrokerMessage} travels through Redis pub/sub, and how the
 * history store keeps a payload in a stream entry. One format for both
 * runtimes, because a Deno server and a Bun server share the channels:
 *
 *   <kind><origin>\n<payload>
 *
 * kind `t`: the payload is the text itself; kind `b`: the payload is the
 * bytes in base64. Bun's subscriber hands over strings only (binary-safe
 * byte strings are not available there), so bytes cannot travel raw.
 * Internal.
 *
 * @module
 */

import type { BrokerMessage } from "./broker.ts";

/** Base64 on Uint8Array (TC39 proposal, shipped by Deno 2 and Bun 1.2+; not yet in TypeScript's lib). */
interface Base64Uint8Array {
  toBase64(): string;
}
const Base64 = Uint8Array as unknown as { fromBase64(text: string): Uint8Array };

/** Encodes a message for a Redis channel. */
export function encodeRedisMessage(message: BrokerMessage): string {
  const data = message.data;
  if (typeof data === "string") return `t${message.origin}\n${data}`;
  return `b${message.origin}\n${(data as unknown as Base64Uint8Array).toBase64()}`;
}

/** Decodes a message from a Redis channel, or returns undefined for one fullduplex did not write. */
export function decodeRedisMessage(topic: string, raw: string): BrokerMessage | undefined {
  const kind = raw.charCodeAt(0);
  const newline = raw.indexOf("\n");
  if (newline < 1) return undefined;
  const origin = raw.slice(1, newline);
  if (kind === 116 /* t */) return { topic, origin, data: raw.slice(newline + 1) };
  if (kind === 98 /* b */) {
    try {
      return { topic, origin, data: Base64.fromBase64(raw.slice(newline + 1)) };
    } catch {
      return undefined;
    }
  }
  return undefined;
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
