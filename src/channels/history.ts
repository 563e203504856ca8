/**
 * Topics with history on one endpoint (`channels.history`,
 * docs/channels.md "Recovery"): every publication of such a topic is
 * stored first and delivered at the position the store gave it; the other
 * servers get it through the broker with that position (shared store) or
 * store it themselves (a store of their own process). Holds the topic
 * feeds (topic_feed.ts) that recovering sessions tap. The topic hub hands
 * it those topics' publications (HistoryRouter). Internal.
 *
 * @module
 */

import type { BrokerMessage } from "../broker/broker.ts";
import type { HistoryPolicy, HistoryQuery, HistoryRead, HistoryStore } from "../broker/history.ts";
import { PublishError } from "../shared/errors.ts";
import type { StreamPosition } from "../shared/position.ts";
import type { ResolvedHistory } from "../server/channel_options.ts";
import type { ChannelHost } from "../server/channel_port.ts";
import type { HistoryRouter } from "../server/pubsub.ts";
import { TopicFeed } from "./topic_feed.ts";
import type { FeedHost, Positioned } from "./topic_feed.ts";

/** The history of one endpoint's topics. */
export class HistoryService<D> implements HistoryRouter {
  readonly store: HistoryStore;
  readonly #options: ResolvedHistory;
  readonly #host: ChannelHost<D>;
  readonly #feeds = new Map<string, TopicFeed>();
  readonly #feedHost: FeedHost;

  constructor(options: ResolvedHistory, host: ChannelHost<D>) {
    this.store = options.store;
    this.#options = options;
    this.#host = host;
    this.#feedHost = {
      deliver: (topic, p) => void host.topics.deliverAt(topic, p.data, p.position, p.except),
      fill: async (topic, after, limit) => {
        const read = await this.read(topic, { after, limit });
        return read.ok ? read.publications : undefined;
      },
      top: async (topic) => {
        const read = await this.read(topic, { last: 0, limit: 0 });
        return { epoch: read.epoch, offset: read.top };
      },
    };
    host.topics.route(this);
  }

  /** The topic's policy; undefined when it keeps no history (a throwing `topics` function is reported: no history). */
  policyOf(topic: string): HistoryPolicy | undefined {
    try {
      return this.#options.policyOf(topic);
    } catch (err) {
      this.#host.report(undefined, err);
      return undefined;
    }
  }

  keeps(topic: string): boolean {
    return this.policyOf(topic) !== undefined;
  }

  /** Reads the topic's history (its policy applied); rejects when the store fails (counted). */
  async read(topic: string, query: HistoryQuery): Promise<HistoryRead> {
    const policy = this.policyOf(topic) ?? { size: 1, ttl: 0 };
    try {
      return await this.store.read(topic, query, policy);
    } catch (err) {
      this.#host.count("historyStoreErrors");
      throw err;
    }
  }

  /** A publish on this server; delivery follows the store's answer (errors go to the `error` handler). */
  publish(topic: string, data: string | Uint8Array, except: object | undefined): number {
    const result = this.#store(topic, data, except);
    if (!(result instanceof Promise)) return result.delivered;
    result.then(undefined, (err) => this.#host.report(undefined, err));
    return 0;
  }

  /** A publish whose caller waits for its position (a client's `pub`, `server.publishWithAck`). */
  async publishAcked(topic: string, data: string | Uint8Array, except: object | undefined): Promise<StreamPosition | undefined> {
    return (await this.#store(topic, data, except)).position;
  }

  /** Stores, then delivers locally and forwards to the other servers. */
  #store(
    topic: string,
    data: string | Uint8Array,
    except: object | undefined,
  ): { position: StreamPosition | undefined; delivered: number } | Promise<{ position: StreamPosition; delivered: number }> {
    const policy = this.policyOf(topic);
    if (policy === undefined) {
      // The topics function changed its mind between keeps() and now: publish without history.
      const count = this.#host.topics.deliverPlain(topic, data, except);
      this.#host.topics.forward(topic, data, undefined);
      return { position: undefined, delivered: count };
    }
    const shared = this.store.shared;
    const delivered = (position: StreamPosition) => {
      this.#host.count("historyAppends");
      const count = this.#accept(topic, { position, data, except });
      // A store of this process: the others store it themselves (their own positions).
      this.#host.topics.forward(topic, data, shared ? position : undefined);
      return { position, delivered: count };
    };
    const failed = (err: unknown): never => {
      this.#host.count("historyStoreErrors");
      const why = err instanceof Error ? err.message : String(err);
      throw new PublishError(topic, "unavailable", `the history store could not keep the publication (nothing was delivered): ${why}`, {
        cause: err,
      });
    };
    let appended: StreamPosition | Promise<StreamPosition>;
    try {
      appended = this.store.append(topic, data, policy);
    } catch (err) {
      return failed(err);
    }
    return appended instanceof Promise ? appended.then(delivered, failed) : delivered(appended);
  }

  /** A publication of another server (through the broker). */
  received(message: BrokerMessage): void {
    const { topic, data } = message;
    const policy = this.policyOf(topic);
    if (policy === undefined) {
      this.#host.topics.deliverPlain(topic, data, undefined);
      return;
    }
    if (this.store.shared) {
      if (message.position === undefined) {
        // Published by a server that does not keep this topic's history (set up differently): nothing to order it by.
        this.#host.topics.deliverPlain(topic, data, undefined);
        return;
      }
      this.#accept(topic, { position: message.position, data, except: undefined });
      return;
    }
    let appended: StreamPosition | Promise<StreamPosition>;
    try {
      appended = this.store.append(topic, data, policy);
    } catch (err) {
      this.#host.count("historyStoreErrors");
      this.#host.report(undefined, err);
      return;
    }
    const deliver = (position: StreamPosition) => {
      this.#host.count("historyAppends");
      this.#accept(topic, { position, data, except: undefined });
    };
    if (appended instanceof Promise) {
      appended.then(deliver, (err) => {
        this.#host.count("historyStoreErrors");
        this.#host.report(undefined, err);
      });
    } else deliver(appended);
  }

  /** Resolves once this server's broker subscription of `topic` is in effect. */
  listening(topic: string): Promise<void> {
    return this.#host.topics.listening(topic);
  }

  /** The broker lost messages meanwhile: every feed reads what it never saw up to the store's top. */
  reconnected(): void {
    for (const feed of this.#feeds.values()) feed.catchUp();
  }

  /** Through the topic's feed when sessions hold one (order, taps), else straight to the hub. */
  #accept(topic: string, publication: Positioned): number {
    const feed = this.#feeds.get(topic);
    if (feed !== undefined) {
      feed.accept(publication);
      return 0;
    }
    return this.#host.topics.deliverAt(topic, publication.data, publication.position, publication.except);
  }

  /** The topic's feed, held by one more session (subscribed with history, or recovering) unless `another` is false. */
  hold(topic: string, another = true): TopicFeed {
    let feed = this.#feeds.get(topic);
    if (feed === undefined) this.#feeds.set(topic, feed = new TopicFeed(topic, this.store.shared, this.#feedHost));
    if (another) feed.holders++;
    return feed;
  }

  /** A session no longer holds the topic's feed; the last one closes it. */
  release(topic: string): void {
    const feed = this.#feeds.get(topic);
    if (feed === undefined) return;
    if (--feed.holders > 0) return;
    feed.flush(); // what waited in it is not lost for the topic's other subscribers here
    feed.close();
    this.#feeds.delete(topic);
  }

  /** Memory the store holds in this process (0 for a remote store). */
  usage(): { publications: number; bytes: number } {
    const usage = this.store.usage?.();
    return { publications: usage?.publications ?? 0, bytes: usage?.bytes ?? 0 };
  }

  close(): void {
    for (const feed of this.#feeds.values()) feed.close();
    this.#feeds.clear();
  }
}
