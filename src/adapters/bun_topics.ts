/**
 * Bun's native topics (uWS pub/sub) behind the core's TopicEngine: uWS
 * copies one frame to every subscriber in native code, which is much
 * faster than a loop of send() calls from JavaScript. It works on the Bun
 * adapter's own transports; the adapter owns it and gives it the Bun
 * server. Internal.
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

import { ReadyStates } from "../shared/types.ts";
import type { TopicEngine, TopicMember } from "../server/topics.ts";
import type { BunTransport } from "./bun_transport.ts";

/** The parts of Bun's Server that topics use. */
export interface BunTopicServer {
  publish(topic: string, data: string | Uint8Array): number;
  subscriberCount(topic: string): number;
}

/** Native fan-out on Bun. The Bun server is known from the first upgrade on. */
export class BunNativeTopics implements TopicEngine<BunTransport> {
  #server: BunTopicServer | undefined;

  /** The adapter hands the Bun server at each upgrade (createHandler learns it only there). */
  useServer(server: BunTopicServer): void {
    this.#server = server;
  }

  subscribe(member: TopicMember<BunTransport>, topic: string): void {
    member.transport.subscribe(topic);
  }

  unsubscribe(member: TopicMember<BunTransport>, topic: string): void {
    // uWS has already removed a closed socket from every topic.
    if (member.state !== ReadyStates.CLOSED) member.transport.unsubscribe(topic);
  }

  publish(topic: string, data: string | Uint8Array, except: TopicMember<BunTransport> | undefined): number {
    const server = this.#server;
    if (server === undefined) return 0; // no upgrade yet: no subscriber anywhere
    let count = server.subscriberCount(topic);
    if (count === 0) return 0;
    if (except !== undefined) {
      // An open subscriber (the hub checked): ws.publish skips the sender natively.
      except.transport.publish(topic, data);
      count--;
    } else server.publish(topic, data);
    return count;
  }

  subscriberCount(topic: string): number {
    return this.#server?.subscriberCount(topic) ?? 0;
  }
}
