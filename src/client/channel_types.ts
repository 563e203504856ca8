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
