/**
 * The one check of what may be sent or published, shared by the server's
 * Socket, topic publishing and the client: strings and Uint8Arrays as they
 * are, ArrayBuffers viewed once (never copied), anything else a TypeError
 * naming the method. Internal.
 *
 * @module
 */

import { toBytes } from "./message.ts";
import type { SendData } from "./message.ts";

/**
 * A payload ready for an engine: a string (text frame) or a Uint8Array
 * (binary frame). `method` names the caller in the error ("send", "publish").
 */
export function framePayload(data: SendData, method: string): string | Uint8Array {
  if (typeof data === "string") return data;
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) return toBytes(data);
  throw new TypeError(`${method}() takes a string, a Uint8Array or an ArrayBuffer; use ${method}Json() for objects`);
}

/** `JSON.stringify(value)`, or a TypeError naming `method` for values JSON cannot encode. */
export function jsonPayload(value: unknown, method: string): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${method}() cannot encode ${typeof value}`);
  return text;
}
