/**
 * Codecs turn messages into frames and back. JSON is the default; a binary
 * format plugs in through the same small interface.
 *
 * @module
 */

import { MessageDecodeError } from "../shared/errors.ts";
import { parseJson } from "../shared/message.ts";
import type { DecodeLimits } from "./limits.ts";

/**
 * How messages are encoded on the wire. `encode` returns a string (sent as a
 * text frame) or bytes (a binary frame); `decode` gets the payload of a text
 * frame as a string and of a binary frame as bytes, and throws on malformed
 * input (prefer {@link MessageDecodeError} with a short message: it is sent
 * back to the peer as is). `limits` lets a codec enforce size limits while
 * decoding where its parser supports that; fullduplex checks every limit on
 * the decoded value afterwards anyway.
 *
 * @example
 * ```ts
 * import type { Codec } from "@fullduplex/fullduplex/protocol";
 * import { decode, encode } from "@msgpack/msgpack";
 * const msgpack: Codec = {
 *   name: "MessagePack",
 *   encode: (value) => encode(value),
 *   decode: (data) => decode(typeof data === "string" ? new TextEncoder().encode(data) : data),
 * };
 * ```
 */
export interface Codec {
  /** A short name for error messages, e.g. `"JSON"`. */
  readonly name: string;
  /** Encodes a message; throws a TypeError for a value the format cannot carry. */
  encode(value: unknown): string | Uint8Array;
  /** Decodes a frame's payload; throws on malformed input. */
  decode(data: string | Uint8Array, limits: Readonly<Required<DecodeLimits>>): unknown;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The default codec: `JSON.stringify` out (text frames), `JSON.parse` in.
 * A binary frame is read as UTF-8 JSON (invalid UTF-8 is a decode error).
 * Parse errors read `invalid JSON: <why> (input "<at most 40 characters>…")`,
 * the same text `Message.json()` throws.
 *
 * @example
 * ```ts
 * import { jsonCodec } from "@fullduplex/fullduplex/protocol";
 * jsonCodec.encode({ type: "greeting" }); // '{"type":"greeting"}'
 * ```
 */
export const jsonCodec: Codec = Object.freeze({
  name: "JSON",
  encode(value: unknown): string {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`JSON cannot encode ${typeof value}`);
    return text;
  },
  decode(data: string | Uint8Array): unknown {
    let text: string;
    if (typeof data === "string") text = data;
    else {
      try {
        text = utf8.decode(data);
      } catch (err) {
        throw new MessageDecodeError("invalid JSON: a binary message is not valid UTF-8", { cause: err });
      }
    }
    return parseJson(text);
  },
});
