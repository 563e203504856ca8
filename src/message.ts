/**
 * The `Message` type shared by server handlers and clients.
 *
 * @module
 */

import { MessageDecodeError } from "./errors.ts";
import { utf8ByteLength } from "./close_codes.ts";

/** What a message carried on the wire: a text frame or a binary frame. */
export type MessageKind = "text" | "binary";

/** Data that can be sent: text, or bytes as a `Uint8Array`/`ArrayBuffer`. */
export type SendData = string | Uint8Array | ArrayBuffer;

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/** How much of an offending input an error message quotes, at most. */
const QUOTE_CHARS = 40;

/** A short, single-line excerpt of input for error messages. */
export function quoteInput(text: string): string {
  const cut = text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
  return JSON.stringify(cut);
}

/** Turns any binary payload an engine hands over into a `Uint8Array` view (no copy). */
export function toBytes(data: Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) {
    // A Node/Bun Buffer is a Uint8Array subclass; re-view it so users never get a Buffer.
    return data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * One received WebSocket message, the same on Deno, Bun and in the browser.
 * Conversions are lazy and cached: `text()` on a text message and `bytes()`
 * on a binary one cost nothing.
 *
 * @example
 * ```ts
 * import { Message } from "@fullduplex/fullduplex";
 * const msg = Message.from('{"type":"greeting"}');
 * msg.kind;            // "text"
 * msg.json();          // { type: "greeting" }
 * Message.from(new Uint8Array([1, 2])).bytes(); // Uint8Array [1, 2]
 * ```
 */
export class Message {
  /** `"text"` for a text frame, `"binary"` for a binary frame. */
  readonly kind: MessageKind;
  #text: string | undefined;
  #bytes: Uint8Array | undefined;
  #size = -1;

  private constructor(kind: MessageKind, text: string | undefined, bytes: Uint8Array | undefined) {
    this.kind = kind;
    this.#text = text;
    this.#bytes = bytes;
  }

  /**
   * Wraps received data: a string is a text message, bytes are a binary one.
   *
   * @example
   * ```ts
   * import { Message } from "@fullduplex/fullduplex";
   * Message.from("hi").kind; // "text"
   * ```
   */
  static from(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): Message {
    return typeof data === "string"
      ? new Message("text", data, undefined)
      : new Message("binary", undefined, toBytes(data));
  }

  /** Size of the payload in bytes (UTF-8 bytes for text). */
  get size(): number {
    if (this.#size < 0) {
      this.#size = this.#bytes !== undefined ? this.#bytes.byteLength : utf8ByteLength(this.#text!);
    }
    return this.#size;
  }

  /**
   * The payload as text. A binary message is decoded as UTF-8 (invalid
   * sequences become U+FFFD).
   */
  text(): string {
    if (this.#text === undefined) this.#text = decoder.decode(this.#bytes!);
    return this.#text;
  }

  /** The payload as a `Uint8Array` (never a Blob or a Node Buffer). Text is UTF-8 encoded. */
  bytes(): Uint8Array {
    if (this.#bytes === undefined) this.#bytes = encoder.encode(this.#text!);
    return this.#bytes;
  }

  /**
   * The payload parsed as JSON. Throws {@link MessageDecodeError} naming the
   * problem (and quoting at most 40 characters of the input) when it is not
   * valid JSON.
   */
  json<T = unknown>(): T {
    const text = this.text();
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      // Engines quote the input in their messages (V8 at length); cap it so an
      // attacker's megabyte never travels back in an error reply or a log line.
      const raw = err instanceof Error ? err.message : String(err);
      // V8 quotes the raw input in its message, control characters and newlines
      // included: escape them so the error stays one line (no log injection).
      const line = raw.slice(0, 101).replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
      const why = line.length > 100 ? `${line.slice(0, 100)}…` : line;
      throw new MessageDecodeError(`invalid JSON: ${why} (input ${quoteInput(text)})`, { cause: err });
    }
  }

  /** A short description for logs: kind and size. */
  toString(): string {
    return `Message(${this.kind}, ${this.size} bytes)`;
  }
}
