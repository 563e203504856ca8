/**
 * The topic methods of a whole server or endpoint (`server.publish()` and
 * friends) over the core's topic hub: one payload check per publish, never
 * one per subscriber. (A socket's own publish is in socket.ts.) Internal.
 *
 * @module
 */

import type { SendData } from "../shared/message.ts";
import { framePayload, jsonPayload } from "../shared/payload.ts";
import type { StreamPosition } from "../shared/position.ts";

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
   * On a topic with history (`channels.history`) the publication is stored
   * first: with a store that answers later (Redis) delivery follows its
   * answer, this returns 0, and a store that fails is reported to the
   * `error` handler (use {@link TopicMethods.publishWithAck} to be told).
   */
  publish(topic: string, data: SendData): number;
  /** Publishes `JSON.stringify(value)` as text, encoded once. */
  publishJson(topic: string, value: unknown): number;
  /**
   * Publishes like `publish`, and resolves once it is done: on a topic with
   * history, with its position once the store kept it (rejecting with a
   * `PublishError` `"unavailable"` when the store could not: then nobody
   * got it); on any other topic, with undefined once it was handed out.
   * Each caller's order is kept.
   *
   * @example
   * ```ts
   * import { serve } from "@fullduplex/fullduplex";
   * const server = serve({
   *   port: 0,
   *   channels: { authorize: () => true, history: { topics: [{ match: "ticker:*", size: 100 }] } },
   * });
   * const position = await server.publishWithAck("ticker:EUR", JSON.stringify({ price: 1.08 }));
   * console.log(position); // { epoch: "…", offset: 1 }
   * await server.shutdown();
   * ```
   */
  publishWithAck(topic: string, data: SendData): Promise<StreamPosition | undefined>;
  /** Sockets of this server subscribed to `topic` (other servers' not included). */
  subscriberCount(topic: string): number;
}

/** The part of the topic hub (pubsub.ts) an endpoint publishes through. */
export interface EndpointTopics {
  publish(topic: string, data: string | Uint8Array, from: undefined): number;
  publishWithAck(topic: string, data: string | Uint8Array): Promise<StreamPosition | undefined>;
  subscriberCount(topic: string): number;
}

/** Publishing for a whole endpoint (no sender to leave out). */
export function topicMethods(hub: EndpointTopics): TopicMethods {
  return {
    publish: (topic, data) => hub.publish(topic, framePayload(data, "publish"), undefined),
    publishJson: (topic, value) => hub.publish(topic, jsonPayload(value, "publish"), undefined),
    publishWithAck: (topic, data) => {
      try {
        return hub.publishWithAck(topic, framePayload(data, "publish"));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    subscriberCount: (topic) => hub.subscriberCount(topic),
  };
}
