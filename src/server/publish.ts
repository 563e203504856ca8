/**
 * Payload checks shared by every publish entry point (socket, server,
 * endpoint): one conversion per publish, never one per subscriber.
 * Internal.
 *
 * @module
 */

import { toBytes } from "../message.ts";
import type { SendData } from "../message.ts";
import type { TopicHub } from "./pubsub.ts";

/** A publishable payload: strings and Uint8Arrays as they are, ArrayBuffers viewed once. */
export function publishPayload(data: SendData): string | Uint8Array {
  if (typeof data === "string" || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return toBytes(data);
  throw new TypeError("publish() takes a string, a Uint8Array or an ArrayBuffer; use publishJson() for objects");
}

/** `JSON.stringify(value)`, or a TypeError for values JSON cannot encode. */
export function publishText(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`publishJson() cannot encode ${typeof value}`);
  return text;
}

/**
 * The topic methods of a server or endpoint.
 *
 * @example Publishing from outside any handler
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * const server = serve({ port: 0, open: (socket) => socket.subscribe("clock") });
 * setInterval(() => {
 *   if (server.subscriberCount("clock") > 0) server.publishJson("clock", { now: Date.now() });
 * }, 1000);
 * ```
 */
export interface TopicMethods {
  /**
   * Publishes text or bytes to every subscriber of `topic` on this server
   * and, with a broker, on every server sharing it. Returns how many local
   * subscribers it was handed to (Bun's native fan-out does not report
   * per-subscriber drops; Deno's count leaves out sends that were dropped).
   */
  publish(topic: string, data: SendData): number;
  /** Publishes `JSON.stringify(value)` as text, encoded once. */
  publishJson(topic: string, value: unknown): number;
  /** Sockets of this server subscribed to `topic` (other servers' not included). */
  subscriberCount(topic: string): number;
}

/** Publishing for a whole endpoint (no sender to leave out). */
export function topicMethods<D>(hub: TopicHub<D>): TopicMethods {
  return {
    publish: (topic, data) => hub.publish(topic, publishPayload(data), undefined),
    publishJson: (topic, value) => hub.publish(topic, publishText(value), undefined),
    subscriberCount: (topic) => hub.subscriberCount(topic),
  };
}
