/**
 * The public types of the client's channels (docs/channels.md): the options
 * of `client.subscribe()`, the events of a subscription, the `publication`
 * event of the client, and the handler of requests from the server. Types
 * only, no code.
 *
 * @module
 */

import type { Message } from "../shared/message.ts";
import type { PresenceMember } from "../shared/channel_wire.ts";
import type { SubscribeError } from "../shared/errors.ts";
import type { RecoveryFailure, StreamPosition } from "../shared/position.ts";

/**
 * Options of `client.subscribe(topic, options)`.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import type { SubscribeOptions } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { channels: true });
 * const options: SubscribeOptions = { presence: true, timeout: 5000 };
 * const room = await ws.subscribe("room:42", options);
 * console.log(room.members.length, "online");
 * ```
 */
export interface SubscribeOptions {
  /**
   * Also follow who else is subscribed: `subscription.members`, and `join`
   * and `leave` events. Default `false`.
   */
  presence?: boolean;
  /**
   * Ms to wait for the server's answer (also while the client is offline,
   * waiting to reconnect) before rejecting with a `SubscribeError`
   * (`"timeout"`); the same bound applies to this subscription's
   * resubscribes, `presence()` and `unsubscribe()` (publishes wait the
   * client's `request.timeout`). Default: the client's `request.timeout`
   * (10000).
   */
  timeout?: number;
  /**
   * Track the position of every publication (`subscription.position`) and,
   * after a reconnect, ask the server for what came after the last one
   * received: it replays them from the topic's history before live ones,
   * with no gap and no duplicate (a topic with `channels.history` on the
   * server; any server sharing the history store). The outcome is a
   * `recovery` event each time. Default `false`.
   */
  recover?: boolean;
  /**
   * With `recover`: on the first subscribe already, the publications after
   * this position (one kept from `subscription.position`, e.g. across a
   * page reload). `subscription.recovered` tells whether all came.
   */
  since?: StreamPosition;
  /** With `recover`: on the first subscribe, the last `last` publications first (at most the topic's history size). */
  last?: number;
}

/**
 * The outcome of a recovery (see {@link SubscriptionEvents}).
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import type { RecoveryEvent } from "@fullduplex/fullduplex/client";
 * const ws = await connect("ws://localhost:8080", { channels: true, reconnect: true });
 * const ticker = await ws.subscribe("ticker:EUR", { recover: true });
 * ticker.on("recovery", (event: RecoveryEvent) => {
 *   if (!event.recovered) console.warn(`missed publications on ${event.topic} (${event.reason}): reloading`);
 * });
 * ```
 */
export interface RecoveryEvent {
  /** The topic. */
  topic: string;
  /** Whether every publication after the client's position came (or will come, before live ones). */
  recovered: boolean;
  /** Why not, when `recovered` is false. */
  reason?: RecoveryFailure;
}

/**
 * Events of a channel subscription.
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { channels: true, reconnect: true });
 * const room = await ws.subscribe("room:42", { presence: true });
 * room.on("message", (msg) => console.log(msg.text()));
 * room.on("join", (member) => console.log("joined", member.id));
 * room.on("leave", (member) => console.log("left", member.id));
 * room.on("resubscribed", () => console.log("back in the room after a reconnect"));
 * room.on("error", (err) => console.log("the subscription ended:", err.reason));
 * ```
 */
export interface SubscriptionEvents {
  /** A publication on the topic: text stays text, binary stays binary. */
  message: Message;
  /** A member subscribed to the topic (only with `presence: true`; never this client itself). */
  join: PresenceMember;
  /** A member left the topic (only with `presence: true`). */
  leave: PresenceMember;
  /**
   * The subscription ended without `unsubscribe()`: a resubscribe after a
   * reconnect was denied (a right revoked meanwhile), timed out, found no
   * channels on the new connection, or the server ended it.
   */
  error: SubscribeError;
  /** After a reconnect, the server confirmed the subscription again. */
  resubscribed: { topic: string };
  /**
   * With `recover: true`: the outcome of a (re)subscribe that asked for
   * what was missed (`recovered: true`: every publication after the
   * position follows, once each, in order), or a loss found later
   * (`recovered: false`: the history was trimmed while the replay ran, or
   * a hole or a new epoch showed up live). With `recovered: false`, reload
   * the state from your own source of truth: publications were missed.
   */
  recovery: RecoveryEvent;
}

/**
 * What a client's `publication` event tells: a publication on a topic the
 * client holds no `Subscription` for (the server subscribed the socket
 * itself, with `socket.subscribe()`).
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import type { PublicationEvent } from "@fullduplex/fullduplex/client";
 * const ws = await connect("ws://localhost:8080", { channels: true });
 * ws.on("publication", ({ topic, message }: PublicationEvent) => console.log(topic, message.text()));
 * ```
 */
export interface PublicationEvent {
  /** The topic it was published on. */
  topic: string;
  /** The publication (text or binary, as published). */
  message: Message;
}

/**
 * Answers a request from the server (`socket.request(value)`): it gets the
 * request's JSON value and returns the reply (or a promise of it), which
 * must be JSON. A throw or a rejection answers with an error carrying its
 * message. `signal` aborts when the connection the request came on closes
 * (a reply can no longer arrive).
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import type { RequestHandler } from "@fullduplex/fullduplex/client";
 * const ws = await connect("ws://localhost:8080", { channels: true });
 * const handler: RequestHandler = async (data, { signal }) => {
 *   const { question } = data as { question: string };
 *   if (signal.aborted) return null;
 *   return { answer: question === "ready?" };
 * };
 * ws.onRequest(handler);
 * ```
 */
export type RequestHandler = (data: unknown, context: { readonly signal: AbortSignal }) => unknown;
