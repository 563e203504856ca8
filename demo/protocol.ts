/**
 * The demo protocol of server.ts (the seeds' three behaviours), as a pure
 * function from a received message to the reply, so it can be tested
 * without a network:
 *
 * - binary: the same bytes back;
 * - text that is a JSON object or array (first non-space `{` or `[`):
 *   `greeting` → `{"type":"response","content":"Hello Client"}`, anything else
 *   → `{"type":"error","error":"…"}`;
 * - any other text: `Echo: <text>`.
 *
 * @module
 */

import type { Message } from "../mod.ts";
import { MessageDecodeError } from "../mod.ts";

/** A reply to send: text or bytes. */
export type DemoReply = string | Uint8Array;

/** Whether text should be treated as JSON: its first non-space character is `{` or `[`. */
export function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    return c === 0x7b || c === 0x5b;
  }
  return false;
}

function error(message: string): string {
  return JSON.stringify({ type: "error", error: message });
}

/** Answers one JSON document of the demo protocol. */
export function answerJson(value: unknown): string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return error('expected a JSON object with a string "type"');
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string") return error('missing "type": expected a JSON object with a string "type"');
  if (type === "greeting") return JSON.stringify({ type: "response", content: "Hello Client" });
  const shown = type.length > 40 ? `${type.slice(0, 40)}…` : type;
  return error(`unknown message type ${JSON.stringify(shown)}: this server understands "greeting"`);
}

/** The demo server's reply to one message. Never throws. */
export function demoReply(msg: Message): DemoReply {
  if (msg.kind === "binary") return msg.bytes();
  const text = msg.text();
  if (!looksLikeJson(text)) return `Echo: ${text}`;
  let value: unknown;
  try {
    value = msg.json();
  } catch (err) {
    return error(err instanceof MessageDecodeError ? err.message : "invalid JSON");
  }
  return answerJson(value);
}
