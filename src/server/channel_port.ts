/**
 * The seam between the core and the channels layer (src/channels): the
 * core never imports that layer; the entry layer hands the core a
 * {@link ChannelServiceFactory} under {@link CHANNEL_SERVICE} when the
 * `channels` option is set. A connection that agreed to
 * `fullduplex.channels.v1` gets a {@link ChannelSession} and sends every
 * frame it receives there. Internal.
 *
 * @module
 */

import type { Broker } from "../broker/broker.ts";
import type { PresenceMember } from "../shared/channel_wire.ts";
import type { ReadyState, SendResult } from "../shared/types.ts";
import type { ResolvedChannels } from "./channel_options.ts";
import type { Socket } from "./socket.ts";
import type { Stat } from "./stats.ts";
import type { HistoryHub } from "./pubsub.ts";

/** The options key under which the entry layer passes the channels factory to the core. */
export const CHANNEL_SERVICE: unique symbol = Symbol("fullduplex.channelService");

/** What a channel session may ask of its connection. */
export interface ChannelConnection<D> {
  readonly socket: Socket<D>;
  readonly state: ReadyState;
  /** Sends a frame as is (control frames, already tagged). */
  send(data: string | Uint8Array): SendResult;
  /** An application frame, tag removed: heartbeat, then the `message` handler. */
  appReceived(data: string | Uint8Array): void;
  /** Subscribes the socket (the same subscription as socket.subscribe). */
  join(topic: string): void;
  /** Bytes queued for the peer. */
  bufferedAmount(): number;
  /** Resolves once the queue is at lowWaterMark or below (at once when it is, or when the connection is closed). */
  drained(): Promise<void>;
  /** Ends a subscription without telling the client (`unsub` from the client). */
  leave(topic: string): void;
  /** The socket's topics. */
  topics(): ReadonlySet<string>;
}

/** One channels connection's side of the channels layer. */
export interface ChannelSession {
  /** Every frame the connection received (ArrayBuffers already viewed as bytes). */
  received(data: string | Uint8Array): void;
  /** `socket.request()`: resolves with the client's reply. */
  request(value: unknown, timeout: number): Promise<unknown>;
  /** The application ended a subscription (`socket.unsubscribe`): tell the client. */
  ended(topic: string): void;
  /** The connection closed (after its topics were left). */
  closed(): void;
}

/** What the core gives the channels layer. */
export interface ChannelHost<D> {
  readonly options: ResolvedChannels<D>;
  readonly broker: Broker | undefined;
  /** Publishes to every subscriber (plain and channel, local and through the broker). */
  publish(topic: string, data: string | Uint8Array): number;
  /** The hub's hooks for topics with history. */
  readonly topics: HistoryHub;
  report(socket: Socket<D> | undefined, err: unknown): void;
  /** Adds `n` (default 1) to a counter. */
  count(stat: Stat, n?: number): void;
}

/** The channels layer of one endpoint. */
export interface ChannelService<D> {
  /** A connection agreed to the channels subprotocol. */
  open(conn: ChannelConnection<D>): ChannelSession;
  /** The members of `topic` (all servers); throws when presence is off. */
  members(topic: string): PresenceMember[];
  /** What the history store holds in this process (zeros without history or for a remote store). */
  historyUsage(): { publications: number; bytes: number };
  /** Shutdown: leave every member, stop timers. */
  close(): Promise<void>;
}

/** Builds the endpoint's channels layer. */
export type ChannelServiceFactory = <D>(host: ChannelHost<D>) => ChannelService<D>;
