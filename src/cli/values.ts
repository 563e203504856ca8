/**
 * Parsers for the values of the command's options: durations, bytes given
 * as hex or as a list of numbers, handshake headers and URLs. Each throws a
 * {@link UsageError} naming the option and the value it could not read.
 *
 * @module
 */

import { UsageError } from "./usage_error.ts";

/**
 * A duration in milliseconds: `500`, `500ms`, `2s`, `1.5s`, `1m`. A bare
 * number is milliseconds (as client.ts always took it).
 */
export function parseDuration(option: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
  const ms = m ? Number(m[1]) * (m[2] === "s" ? 1000 : m[2] === "m" ? 60_000 : 1) : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 2_147_483_647) {
    throw new UsageError(
      `${option} takes a duration such as 500ms, 5s or 1m (a bare number is milliseconds), got ${JSON.stringify(value)}`,
    );
  }
  return Math.round(ms);
}

/** Bytes written as hex: `01 02 ff`, `0102ff`, `01:02:ff` or `0x01,0x02` (an empty string is no bytes). */
export function parseHex(option: string, value: string): Uint8Array {
  const digits = value.replace(/0x/gi, "").replace(/[\s:,]/g, "");
  if (!/^[0-9a-f]*$/i.test(digits) || digits.length % 2 !== 0) {
    throw new UsageError(`${option} takes bytes as hex digits, two per byte (e.g. "01 02 ff" or 0102ff), got ${JSON.stringify(value)}`);
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Bytes written as comma-separated numbers from 0 to 255: `1,2,3` (the Dart tutorial's lists). */
export function parseByteList(option: string, value: string): Uint8Array {
  const parts = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const bytes = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (bytes.length === 0 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new UsageError(`${option} takes comma-separated byte values from 0 to 255, got ${JSON.stringify(value)}`);
  }
  return new Uint8Array(bytes);
}

/** RFC 9110 token characters: what a header name may contain. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `Name: value` into a name and a value (the value trimmed; it may be empty). */
export function parseHeader(value: string): [string, string] {
  const colon = value.indexOf(":");
  const name = colon < 0 ? "" : value.slice(0, colon).trim();
  if (!TOKEN.test(name)) {
    throw new UsageError(`-H takes "Name: value" (a header name, a colon, the value), got ${JSON.stringify(value)}`);
  }
  const headerValue = value.slice(colon + 1).trim();
  if (/[\r\n\0]/.test(headerValue)) throw new UsageError(`the value of header ${name} must not contain line breaks or NUL`);
  return [name, headerValue];
}

/** A ws:/wss: URL; `host:port/path` without a scheme means ws://. */
export function parseWebSocketUrl(value: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `ws://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`not a URL: ${JSON.stringify(value)} (e.g. ws://localhost:8080 or wss://example.com/socket)`);
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    const ws = url.protocol === "http:" ? "ws" : url.protocol === "https:" ? "wss" : undefined;
    const hint = ws ? ` (did you mean ${ws}://${url.host}${url.pathname}${url.search}?)` : "";
    throw new UsageError(`the URL must start with ws:// or wss://, got ${JSON.stringify(value)}${hint}`);
  }
  return withScheme;
}
