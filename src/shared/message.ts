/**
 * The `Message` type shared by server handlers and clients.
 *
 * @module
 */

import { MessageDecodeError } from "./errors.ts";
import { utf8ByteLength } from "./close_codes.ts";

/**
 * What a message carried on the wire: a text frame or a binary frame.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import type { MessageKind } from "@fullduplex/fullduplex";
 * serve({
 *   message(socket, msg) {
 *     const kind: MessageKind = msg.kind;
 *     socket.send(kind === "text" ? msg.text() : msg.bytes());
 *   },
 * });
 * ```
 */
export type MessageKind = "text" | "binary";

/**
 * Data that can be sent: text, or bytes as a `Uint8Array`/`ArrayBuffer`.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import type { SendData } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080");
 * const payloads: SendData[] = ["text", new Uint8Array([1, 2, 3]), new ArrayBuffer(8)];
 * for (const data of payloads) ws.send(data);
 * ```
 */
export type SendData = string | Uint8Array | ArrayBuffer;

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/** How much of an offending input an error message quotes, at most. */
const QUOTE_CHARS = 40;

/** A short, single-line excerpt of input for error messages. */
export function quoteInput(text: string): string {
  const cut = text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
  return escapeControls(JSON.stringify(cut));
}

/** Longest part of an engine's parse error that an error message repeats. */
const ENGINE_MESSAGE_CHARS = 100;

/**
 * `JSON.parse(text)`, or a {@link MessageDecodeError} whose message is one
 * line: `invalid JSON: <why> (input "<at most 40 characters>…")`. Engines
 * quote the input in their own messages (V8 at length, control characters
 * and newlines included), so the engine's text is cut and every control
 * character escaped: an attacker's megabyte or newline never travels back
 * in an error reply or a log line. The one formatter for `Message.json()`
 * and the typed layer's JSON codec.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    const why = raw.length > ENGINE_MESSAGE_CHARS ? `${raw.slice(0, ENGINE_MESSAGE_CHARS)}…` : raw;
    throw new MessageDecodeError(`invalid JSON: ${escapeControls(why)} (input ${quoteInput(text)})`, { cause: err });
  }
}

/** Escapes control characters and line separators as \uXXXX, so text stays on one line. */
function escapeControls(text: string): string {
  // Matching control characters is the point here (log and reply injection).
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
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
    return typeof data === "string" ? new Message("text", data, undefined) : new Message("binary", undefined, toBytes(data));
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
    return parseJson(this.text()) as T;
  }

  /** A short description for logs: kind and size. */
  toString(): string {
    return `Message(${this.kind}, ${this.size} bytes)`;
  }
}
