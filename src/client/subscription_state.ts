/**
 * What the client knows about one channel subscription, behind its public
 * face (subscription.ts): its phase, the `sub` in flight, whether the
 * current connection confirmed it, its members, its listeners and its
 * received publications. The channel layer (channels.ts) changes it; the
 * `Subscription` only reads it and asks its owner to act. Internal.
 *
 * @module
 */

import type { PresenceMember } from "../shared/channel_wire.ts";
import type { RecoveryFailure, StreamPosition } from "../shared/position.ts";
import type { SubscribeError } from "../shared/errors.ts";
import type { Message } from "../shared/message.ts";
import type { SubscriptionEvents } from "./channel_types.ts";
import { Emitter } from "./events.ts";
import { Inbox } from "./inbox.ts";

/** What a subscription asks of the channel layer that owns it. */
export interface SubscriptionOwner {
  publish(state: SubscriptionState, payload: string | Uint8Array): Promise<StreamPosition | undefined>;
  unsubscribe(state: SubscriptionState): Promise<void>;
  presence(state: SubscriptionState): Promise<PresenceMember[]>;
}

/** The state of one subscription. */
export class SubscriptionState {
  readonly topic: string;
  /** Subscribed with `presence: true`. */
  readonly presence: boolean;
  /** Ms each `sub` of it waits for its answer. */
  readonly timeout: number;
  readonly owner: SubscriptionOwner;
  readonly events: Emitter<SubscriptionEvents> = new Emitter<SubscriptionEvents>(
    ["message", "join", "leave", "error", "resubscribed", "recovery"],
    "subscription",
  );
  readonly inbox: Inbox;
  /** The members by id (with `presence` only): the server's list, then its join and leave events. */
  readonly members: Map<string, PresenceMember> = new Map();
  /** `pending` until the first `ok`, `active` after it, `ended` once unsubscribed, refused or closed. */
  phase: "pending" | "active" | "ended" = "pending";
  /** The id of the `sub` in flight on the current connection. */
  requestId: number | undefined;
  /** Whether the current connection confirmed it (its `ok` arrived). */
  confirmed = false;
  /** The timeout of the `sub` waiting for its answer. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** While pending: settles the `subscribe()` promise. */
  settle: { resolve(): void; reject(err: SubscribeError): void } | undefined;
  /** Recovery asked (`recover: true`): positions are tracked and sent again on each resubscribe. */
  recover = false;
  /** The position of the last publication received (or the server's, from its `ok`). */
  position: StreamPosition | undefined;
  /** For the first `sub` only: the last N publications (`last`). */
  last: number | undefined;
  /** The outcome of the last (re)subscribe that asked to recover, and why not. */
  recovered: boolean | undefined;
  recoveryReason: RecoveryFailure | undefined;

  /** `overflow` hears of publications dropped because nothing consumed them (the client's `error` event). */
  constructor(topic: string, presence: boolean, timeout: number, owner: SubscriptionOwner, overflow: (err: Error) => void) {
    this.topic = topic;
    this.presence = presence;
    this.timeout = timeout;
    this.owner = owner;
    this.inbox = new Inbox(this.events, () => this.phase === "ended", overflow, `publication on ${JSON.stringify(topic)}`);
  }

  /** A publication on the topic. */
  deliver(msg: Message): void {
    this.inbox.deliver(msg);
  }
}
