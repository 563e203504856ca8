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
 * The JSON part is a typed protocol ({@link demoProtocol}): decoding,
 * routing by `type` and the error replies come from fullduplex's protocol
 * layer, the same code `router()` uses.
 *
 * @module
 */

import type { Message } from "../mod.ts";
import type { ClientMessage, DecodeResult, ServerMessageInput } from "../src/protocol/mod.ts";
import { defineProtocol, protocolError, unchecked } from "../src/protocol/mod.ts";

/** A reply to send: text or bytes. */
export type DemoReply = string | Uint8Array;

/**
 * The demo's JSON messages. `greeting` is `unchecked`: the seeds answer any
 * object whose `type` is "greeting", whatever else it carries, and the demo
 * keeps exactly that wire behaviour. For the same reason its limits are off
 * (a message is still bounded by the server's `maxMessageBytes`) and the
 * prototype-polluting keys `__proto__`, `constructor` and `prototype` are
 * stripped rather than refused.
 *
 * @example
 * ```ts
 * import { demoProtocol } from "./demo/protocol.ts";
 * demoProtocol.encodeServerMessage({ type: "response", content: "Hello Client" });
 * ```
 */
export const demoProtocol = defineProtocol({
  client: { greeting: unchecked<{ content?: unknown }>() },
  server: { response: unchecked<{ content: string }>(), error: protocolError },
}, {
  limits: { maxDepth: Infinity, maxStringLength: Infinity, maxArrayLength: Infinity, maxObjectKeys: Infinity, forbiddenKeys: "strip" },
});

type DemoProtocol = typeof demoProtocol;

/** One handler per client message type, each returning the server's reply (type-checked). */
const handlers: { [T in keyof DemoProtocol["client"]]: (msg: ClientMessage<DemoProtocol, T>) => ServerMessageInput<DemoProtocol> } = {
  greeting: () => ({ type: "response", content: "Hello Client" }),
};

/** Whether text should be treated as JSON: its first non-space character is `{` or `[`. */
export function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    return c === 0x7b || c === 0x5b;
  }
  return false;
}

function reply(result: DecodeResult<ClientMessage<DemoProtocol>> | Promise<unknown>): string {
  // The demo's schemas are synchronous, so decoding never returns a promise.
  if (result instanceof Promise) return JSON.stringify({ type: "error", error: "internal error: asynchronous schema" });
  const out = result.ok ? handlers[result.message.type](result.message) : demoProtocol.errorMessage(result.problem);
  return demoProtocol.encodeServerMessage(out) as string;
}

/** Answers one already parsed JSON document of the demo protocol (strips `__proto__`/`constructor`/`prototype` keys in place). */
export function answerJson(value: unknown): string {
  return reply(demoProtocol.validateClientMessage(value));
}

/** The demo server's reply to one message. Never throws. */
export function demoReply(msg: Message): DemoReply {
  if (msg.kind === "binary") return msg.bytes();
  const text = msg.text();
  if (!looksLikeJson(text)) return `Echo: ${text}`;
  return reply(demoProtocol.decodeClientMessage(text));
}
