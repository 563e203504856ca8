/**
 * Bun's native topics (uWS pub/sub) behind the core's TopicEngine: uWS
 * copies one frame to every subscriber in native code, which is much
 * faster than a loop of send() calls from JavaScript. Internal.
 *
 * Bun facts this relies on (1.4.5, checked by running code):
 * - `ws.publish(topic, data)` reaches every subscriber but `ws` itself
 *   (publishToSelf defaults to false); `server.publish` reaches all of them.
 * - both return the payload's byte length when at least one subscriber
 *   exists, 0 otherwise: nothing per subscriber. uWS drops a frame for a
 *   subscriber over the backpressure limit without telling anyone.
 * - a closing socket is removed from its topics by uWS before our `close`
 *   handler runs.
 * - topics belong to the Bun server, not to an endpoint: two endpoints
 *   mounted on one Bun.serve share topic names.
 *
 * @module
 */

import type { Connection } from "../server/connection.ts";
import type { TopicEngine } from "../server/topics.ts";

/** The parts of Bun's Server that topics use. */
export interface BunTopicServer {
  publish(topic: string, data: string | Uint8Array): number;
  subscriberCount(topic: string): number;
}

/** The per-socket topic calls a Bun transport offers. */
export interface BunTopicTransport {
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publish(topic: string, data: string | Uint8Array): number;
}

/** Native fan-out on Bun. The Bun server is known from the first upgrade on. */
export class BunNativeTopics<D> implements TopicEngine<D> {
  /** Set by the adapter at each upgrade (createHandler gets it only there). */
  server: BunTopicServer | undefined;

  subscribe(conn: Connection<D>, topic: string): void {
    (conn.transport as unknown as BunTopicTransport).subscribe(topic);
  }

  unsubscribe(conn: Connection<D>, topic: string): void {
    // uWS has already removed a closed socket from every topic.
    if (conn.state !== 3) (conn.transport as unknown as BunTopicTransport).unsubscribe(topic);
  }

  publish(topic: string, data: string | Uint8Array, except: Connection<D> | undefined): number {
    const server = this.server;
    if (server === undefined) return 0; // no upgrade yet: no subscriber anywhere
    let count = server.subscriberCount(topic);
    if (count === 0) return 0;
    if (except !== undefined && except.state === 1 && except.topics?.has(topic) === true) {
      // ws.publish skips the sender natively.
      (except.transport as unknown as BunTopicTransport).publish(topic, data);
      count--;
    } else server.publish(topic, data);
    return count;
  }

  subscriberCount(topic: string): number {
    return this.server?.subscriberCount(topic) ?? 0;
  }
}
