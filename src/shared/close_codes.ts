/**
 * RFC 6455 close codes and the checks fullduplex applies to them.
 *
 * Both engines put codes on the wire that the RFC forbids (Deno sends 1005,
 * 1006 and 999 when asked; Bun sends a close frame with no code for
 * 1005/1006 and 999 as is), so every `close(code, reason)` goes through
 * {@link assertCloseArgs} first.
 *
 * @module
 */

/**
 * Named close codes (RFC 6455 §7.4.1 and the IANA registry).
 *
 * @example
 * ```ts
 * import { CloseCode, serve } from "@fullduplex/fullduplex";
 * serve({ open: (socket) => socket.close(CloseCode.PolicyViolation, "not allowed") });
 * ```
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Reserved: reported when the peer's close frame carried no code. Never sent. */
  NoStatus: 1005,
  /** Reserved: reported when the connection ended without a close frame. Never sent. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
} as const;

/**
 * Maximum UTF-8 length of a close reason: a control frame carries 125 bytes, 2 are the code.
 *
 * @example
 * ```ts
 * import { MAX_CLOSE_REASON_BYTES } from "@fullduplex/fullduplex/client";
import { utf8ByteLength } from "./close_codes.ts";
 * const reason = "shutting down for maintenance";
 * console.log(utf8ByteLength(reason) <= MAX_CLOSE_REASON_BYTES); // true
 * ```
 */
export const MAX_CLOSE_REASON_BYTES = 123;

const encoder = new TextEncoder();

/**
 * UTF-8 byte length of a string, without allocating for short ASCII-only
 * strings.
 *
 * @example
 * ```ts
 * import { utf8ByteLength } from "./close_codes.ts";
 * utf8ByteLength("héllo"); // 6
 * ```
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Whether `code` may be sent by an application in a close frame: 1000 or
 * 3000–4999 (1001–2999 are the protocol's own; 1001, 1008–1013 may be sent by
 * a server, which fullduplex does internally, not through user code).
 *
 * @example
 * ```ts
 * import { isApplicationCloseCode } from "@fullduplex/fullduplex/client";
 * isApplicationCloseCode(4000); // true
 * isApplicationCloseCode(1006); // false
 * ```
 */
export function isApplicationCloseCode(code: number): boolean {
  return Number.isInteger(code) && (code === 1000 || (code >= 3000 && code <= 4999));
}

/**
 * Throws a `RangeError` unless `code` is 1000 or 3000–4999 and `reason` is at
 * most 123 UTF-8 bytes. Used by every public `close(code, reason)`.
 *
 * @example
 * ```ts
 * import { assertCloseArgs } from "./close_codes.ts";
 * assertCloseArgs(4001, "bye"); // ok
 * assertCloseArgs(1006, "");    // throws RangeError
 * ```
 */
export function assertCloseArgs(code: number, reason: string): void {
  if (!isApplicationCloseCode(code)) {
    throw new RangeError(
      `invalid close code ${code}: use 1000 or a code from 3000 to 4999 (1001-2999 are reserved for the protocol)`,
    );
  }
  assertCloseReason(reason);
}

/** Throws a `RangeError` when a close reason is longer than 123 UTF-8 bytes. */
export function assertCloseReason(reason: string): void {
  if (typeof reason !== "string") throw new TypeError("close reason must be a string");
  const length = utf8ByteLength(reason);
  if (length > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(
      `close reason is ${length} UTF-8 bytes; at most ${MAX_CLOSE_REASON_BYTES} fit in a close frame`,
    );
  }
}

/**
 * Cuts a reason to at most 123 UTF-8 bytes without splitting a character;
 * used for reasons fullduplex builds itself from error text.
 */
export function truncateCloseReason(reason: string): string {
  if (utf8ByteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  const bytes = encoder.encode(reason);
  let end = MAX_CLOSE_REASON_BYTES;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

/**
 * Maps what an engine reports to what fullduplex reports: Deno's 0 for an
 * abrupt end (and any other out-of-range value) becomes 1006.
 */
export function normalizeReceivedCloseCode(code: number | undefined): number {
  if (code === undefined || !Number.isInteger(code) || code < 1000 || code > 4999) {
    return CloseCode.Abnormal;
  }
  return code;
}
