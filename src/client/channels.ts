/**
 * The client's side of channels (docs/channels.md), above the frames of
 * shared/channel_wire.ts: the table of subscriptions, the control requests
 * in flight, and what each event of the connection does to them. The
 * Client (client.ts) tells it when a connection opens (did it agree to
 * channels?), closes, or the client closes for good, and hands it every
 * channel frame; it sends through the Client, which owns the socket and the
 * offline queue. Internal.
 *
 * What a reconnect does, decided here:
 * - every subscription (confirmed or still waiting for its first answer)
 *   is sent again as `sub`, before the offline queue is flushed; `ok` fires
 *   `resubscribed` (or settles the first `subscribe()`), `deny` ends it with
 *   an `error` event (or rejects `subscribe()`);
 * - a `sub` in flight when its connection closed is simply sent again;
 * - a `presence` request in flight is asked again on the next connection;
 * - an `unsub` in flight resolves: a closed connection holds no subscription;
 * - a publish in flight rejects (`PublishError` "closed": it may or may not
 *   have been published, and sending it again could publish it twice);
 *   publishes still in the offline queue are sent after the resubscribes.
 *
 * @module
 */

import { binaryPublish, controlFrame, topicProblem } from "../shared/channel_wire.ts";
import type { ChannelFrame, ClientControl, PresenceMember, ServerControl } from "../shared/channel_wire.ts";
import { FullDuplexError, InvalidStateError, SubscribeError } from "../shared/errors.ts";
import { Message } from "../shared/message.ts";
import { isPosition } from "../shared/position.ts";
import type { RecoveryFailure, StreamPosition } from "../shared/position.ts";
import type { OkAnswer } from "./control_requests.ts";
import type { PublicationEvent, RequestHandler, SubscribeOptions } from "./channel_types.ts";
import { ControlRequests } from "./control_requests.ts";
import { checkRequestTimeout } from "./pending_requests.ts";
import { PendingPublish } from "./publish.ts";
import { ServerRequests } from "./server_requests.ts";
import { Subscription } from "./subscription.ts";
import { SubscriptionState } from "./subscription_state.ts";
import type { SubscriptionOwner } from "./subscription_state.ts";

/** What the channel layer needs from its Client. */
export interface ChannelHost {
  /** Whether a connection that agreed to channels is open now. */
  open(): boolean;
  /** Sends a frame on that connection (only called when `open()`). */
  sendFrame(frame: string | Uint8Array): void;
  /** Puts a publish into the offline queue, in order with `send()`; throws when it cannot (full, closed, no queue). */
  enqueue(payload: string | Uint8Array, publish: PendingPublish): void;
  /** The client's `error` event. */
  error(err: Error): void;
  /** The client's `publication` event. */
  publication(event: PublicationEvent): void;
}

/** Why `subscribe()` cannot work on a connection that did not agree to channels. */
function unavailableReason(asked: boolean): string {
  return asked
    ? "channels are not enabled on this server"
    : "channels are off on this client: connect(url, { channels: true }) to use subscribe()";
}

/** A `presence()` call waiting for its answer (or for a connection to ask on). */
interface PresenceCall {
  state: SubscriptionState;
  id: number | undefined;
  resolve(members: PresenceMember[]): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** The channels of one client. */
export class ChannelLayer implements SubscriptionOwner {
  readonly #host: ChannelHost;
  /** Whether the client offered channels (`connect(url, { channels: true })`). */
  readonly #asked: boolean;
  /** Default ms a control request waits for its answer (`request.timeout`). */
  readonly #timeout: number;
  /** Subscriptions by topic, in the order they were made (resubscribed in that order). */
  readonly #subs = new Map<string, SubscriptionState>();
  readonly #control = new ControlRequests();
  readonly #requests: ServerRequests;
  /** `presence()` calls to ask once a connection opens. */
  #waitingPresence: PresenceCall[] = [];
  /** Topics with an `unsub` in flight, and how many: publications still arriving on them are dropped. */
  readonly #leaving = new Map<string, number>();
  /** Whether the last connection agreed to channels. */
  #agreed = false;

  constructor(host: ChannelHost, asked: boolean, timeout: number) {
    this.#host = host;
    this.#asked = asked;
    this.#timeout = timeout;
    this.#requests = new ServerRequests((frame) => {
      if (host.open()) host.sendFrame(frame);
    });
  }

  /** `client.subscribe()` (the Client has checked that it is not closing). */
  subscribe(topic: string, options: SubscribeOptions = {}): Promise<Subscription> {
    let timeout: number;
    try {
      const problem = topicProblem(topic, Number.MAX_SAFE_INTEGER);
      if (problem !== undefined) throw new TypeError(`subscribe(): ${problem}`);
      if (options.presence !== undefined && typeof options.presence !== "boolean") {
        throw new TypeError("subscribe(): options.presence must be true or false");
      }
      timeout = checkRequestTimeout(options.timeout ?? this.#timeout, "subscribe() timeout");
      if (options.recover !== undefined && typeof options.recover !== "boolean") {
        throw new TypeError("subscribe(): options.recover must be true or false");
      }
      if ((options.since !== undefined || options.last !== undefined) && options.recover !== true) {
        throw new TypeError("subscribe(): options.since and options.last need recover: true");
      }
      if (options.since !== undefined && !isPosition(options.since)) {
        throw new TypeError(
          "subscribe(): options.since must be a position { epoch: string, offset: integer >= 0 } (subscription.position)",
        );
      }
      if (options.last !== undefined && (!Number.isSafeInteger(options.last) || options.last < 0)) {
        throw new TypeError("subscribe(): options.last must be an integer >= 0");
      }
      if (options.since !== undefined && options.last !== undefined) {
        throw new TypeError("subscribe(): give options.since or options.last, not both");
      }
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.#agreed) return Promise.reject(new SubscribeError(topic, "unavailable", unavailableReason(this.#asked)));
    if (this.#subs.has(topic)) {
      return Promise.reject(
        new SubscribeError(topic, "duplicate", "this client already holds a subscription to this topic (unsubscribe() it first)"),
      );
    }
    const state = new SubscriptionState(topic, options.presence === true, timeout, this, (err) => this.#host.error(err));
    if (options.recover === true) {
      state.recover = true;
      state.position = options.since === undefined ? undefined : { epoch: options.since.epoch, offset: options.since.offset };
      state.last = options.last;
    }
    const subscription = new Subscription(state);
    const promise = new Promise<Subscription>((resolve, reject) => {
      state.settle = { resolve: () => resolve(subscription), reject };
    });
    this.#subs.set(topic, state);
    // The timeout runs from now, also while offline (like a request's).
    state.timer = setTimeout(() => this.#subTimedOut(state), timeout);
    if (this.#host.open()) this.#sendSub(state);
    return promise;
  }

  /** `client.onRequest()`. */
  onRequest(handler: RequestHandler): () => void {
    return this.#requests.set(handler);
  }

  // ---- SubscriptionOwner: what a Subscription asks for ----

  publish(state: SubscriptionState, payload: string | Uint8Array): Promise<StreamPosition | undefined> {
    if (state.phase !== "active") return Promise.reject(this.#ended(state, "publish"));
    const publish = new PendingPublish(state.topic, this.#timeout, (p) => {
      if (p.id !== undefined) this.#control.forget(p.id);
    });
    if (this.#host.open()) this.#sendPublish(publish, payload);
    else {
      try {
        this.#host.enqueue(payload, publish);
      } catch (err) {
        publish.fail("dropped", err instanceof Error ? err.message : String(err), err);
      }
    }
    return publish.promise;
  }

  unsubscribe(state: SubscriptionState): Promise<void> {
    if (state.phase === "ended") return Promise.resolve();
    // A `sub` still in flight is answered first (the server keeps order); its answer no longer matters.
    if (state.requestId !== undefined) this.#control.forget(state.requestId);
    this.#end(state);
    return this.#sendUnsub(state.topic, state.timeout);
  }

  presence(state: SubscriptionState): Promise<PresenceMember[]> {
    if (state.phase !== "active") return Promise.reject(this.#ended(state, "ask for presence"));
    return new Promise<PresenceMember[]>((resolve, reject) => {
      const call: PresenceCall = {
        state,
        id: undefined,
        resolve,
        reject,
        timer: setTimeout(() => {
          if (call.id !== undefined) this.#control.forget(call.id);
          else this.#waitingPresence = this.#waitingPresence.filter((c) => c !== call);
          reject(new SubscribeError(state.topic, "timeout", `presence: no answer within ${state.timeout} ms`));
        }, state.timeout),
      };
      if (this.#host.open()) this.#sendPresence(call);
      else this.#waitingPresence.push(call);
    });
  }

  // ---- what the Client tells ----

  /**
   * A connection opened. When it agreed to channels, every subscription is
   * sent again and waiting presence requests are asked, now, before the
   * Client flushes its offline queue. (When it did not, {@link unavailable}
   * follows once the Client has finished opening.)
   */
  opened(agreed: boolean): void {
    this.#agreed = agreed;
    if (!agreed) return;
    for (const state of this.#subs.values()) {
      // A first subscribe keeps the timer that runs since subscribe(); a resubscribe gets its own.
      if (state.phase === "active") state.timer = setTimeout(() => this.#subTimedOut(state), state.timeout);
      this.#sendSub(state);
    }
    const waiting = this.#waitingPresence;
    this.#waitingPresence = [];
    for (const call of waiting) {
      if (call.state.phase === "ended") this.#presenceFailed(call, "closed", "the subscription ended before it could be asked");
      else this.#sendPresence(call);
    }
  }

  /** The new connection did not agree to channels: every subscription and presence request fails. */
  unavailable(): void {
    const reason = unavailableReason(this.#asked);
    for (const state of [...this.#subs.values()]) this.#subFailed(state, "unavailable", reason);
    const waiting = this.#waitingPresence;
    this.#waitingPresence = [];
    for (const call of waiting) this.#presenceFailed(call, "unavailable", reason);
  }

  /** The Client flushes a publish from its offline queue onto a channels connection. */
  sendQueued(publish: PendingPublish, payload: string | Uint8Array): void {
    // One that timed out while queued was reported failed: it must not be published now.
    if (!publish.settled) this.#sendPublish(publish, payload);
  }

  /** A queued publish will never be sent (dropped from the full queue, the client closed, or no channels). */
  dropQueued(publish: PendingPublish, reason: string): void {
    publish.fail("dropped", reason);
  }

  /** The connection closed; the client will reconnect. */
  connectionClosed(): void {
    for (const state of this.#subs.values()) {
      state.confirmed = false;
      if (state.phase === "active" && state.timer !== undefined) {
        clearTimeout(state.timer);
        state.timer = undefined;
      }
    }
    this.#control.lost(false);
    this.#requests.connectionClosed();
  }

  /** The client closed for good (`why` for people): everything still waiting fails, every subscription ends. */
  clientClosed(why: string): void {
    this.#control.lost(true);
    this.#requests.connectionClosed();
    for (const state of [...this.#subs.values()]) {
      if (state.phase === "pending") this.#subFailed(state, "closed", why);
      else this.#end(state);
    }
    const waiting = this.#waitingPresence;
    this.#waitingPresence = [];
    for (const call of waiting) this.#presenceFailed(call, "closed", why);
  }

  /** A frame from the server that is not an application message. */
  frame(frame: ChannelFrame<ServerControl>): void {
    if (frame.kind === "binary-publication") {
      this.#route(frame.topic, Message.from(frame.data), frame.position);
      return;
    }
    if (frame.kind === "malformed") {
      this.#host.error(new FullDuplexError(`malformed channel frame from the server: ${frame.reason}`));
      return;
    }
    if (frame.kind !== "control") return;
    const m = frame.message;
    switch (m.t) {
      case "ok":
      case "deny":
        // No waiter: a late answer to a request that timed out.
        this.#control.answer(m.id, m);
        return;
      case "error":
        if (m.id === undefined || !this.#control.answer(m.id, m)) {
          this.#host.error(new FullDuplexError(`the server refused a channel message: ${m.reason}`));
        }
        return;
      case "msg":
        this.#route(m.topic, Message.from(m.data), m.epoch === undefined ? undefined : { epoch: m.epoch, offset: m.offset! });
        return;
      case "lost": {
        const state = this.#subs.get(m.topic);
        if (state === undefined || !state.recover || state.phase === "ended") return;
        state.position = { epoch: m.epoch, offset: m.offset };
        this.#recovery(state, false, m.reason);
        return;
      }
      case "join":
      case "leave": {
        const state = this.#subs.get(m.topic);
        if (state === undefined || !state.presence || state.phase !== "active") return;
        if (m.t === "join") state.members.set(m.member.id, m.member);
        else state.members.delete(m.member.id);
        state.events.emit(m.t, m.member);
        return;
      }
      case "end": {
        // Only a subscription this connection confirmed: one whose `sub` is in flight is answered after.
        const state = this.#subs.get(m.topic);
        if (state !== undefined && state.confirmed) this.#subFailed(state, "ended", m.reason);
        return;
      }
      case "req":
        this.#requests.handle(m.id, m.data);
        return;
    }
  }

  // ---- internals ----

  #route(topic: string, msg: Message, position: StreamPosition | undefined): void {
    const state = this.#subs.get(topic);
    if (state === undefined) {
      if (!this.#leaving.has(topic)) this.#host.publication({ topic, message: msg });
      return;
    }
    // The server sends a subscription's publications only after its `ok`: one before it, while an `unsub` of the
    // topic is in flight, is the old subscription's (unsubscribe() then subscribe() at once). The new one gets its
    // own (a replay would repeat it, out of order).
    if (!state.confirmed && this.#leaving.has(topic)) return;
    if (state.recover && position !== undefined) {
      const last = state.position;
      if (last !== undefined && last.epoch === position.epoch && position.offset <= last.offset) return; // had it already
      state.position = position;
      if (last !== undefined && last.epoch !== position.epoch) this.#recovery(state, false, "epoch changed");
      else if (last !== undefined && position.offset > last.offset + 1) this.#recovery(state, false, "gap");
    }
    state.deliver(msg);
  }

  /** Records and tells the outcome of a recovery. */
  #recovery(state: SubscriptionState, recovered: boolean, reason: RecoveryFailure | undefined): void {
    state.recovered = recovered;
    state.recoveryReason = recovered ? undefined : reason;
    state.events.emit("recovery", recovered ? { topic: state.topic, recovered } : { topic: state.topic, recovered, reason });
  }

  #ended(state: SubscriptionState, what: string): InvalidStateError {
    return new InvalidStateError(`cannot ${what}: the subscription to ${JSON.stringify(state.topic)} has ended`);
  }

  #sendSub(state: SubscriptionState): void {
    const id = this.#control.add({
      ok: (answer) => this.#subscribed(state, answer),
      refused: (reason) => this.#subFailed(state, "denied", reason),
      lost: () => {
        // Sent again on the next connection (or failed by clientClosed).
        if (state.requestId === id) state.requestId = undefined;
      },
    });
    state.requestId = id;
    const message: ClientControl = state.presence
      ? { t: "sub", id, topic: state.topic, presence: true }
      : { t: "sub", id, topic: state.topic };
    if (state.recover) {
      message.recover = true;
      if (state.position !== undefined) message.since = state.position;
      else if (state.last !== undefined) message.last = state.last;
    }
    this.#host.sendFrame(controlFrame(message));
  }

  #subscribed(state: SubscriptionState, answer: OkAnswer): void {
    if (state.phase === "ended") return;
    const members = answer.members;
    if (state.recover) {
      // Where the publications that follow start (the server's word: a replay, the top, or where we were).
      if (answer.epoch !== undefined && answer.offset !== undefined) state.position = { epoch: answer.epoch, offset: answer.offset };
      // Not recovered and no position to go on (no history there, or the store was down): the old one means nothing now.
      else if (answer.recovered === false) state.position = undefined;
      state.last = undefined;
    }
    state.requestId = undefined;
    state.confirmed = true;
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timer = undefined;
    if (state.presence) {
      // The server's list replaces what this client knew (joins and leaves missed while offline included).
      state.members.clear();
      for (const member of members ?? []) state.members.set(member.id, member);
    }
    const settle = state.settle;
    state.settle = undefined;
    if (state.phase === "pending") {
      state.phase = "active";
      if (state.recover && answer.recovered !== undefined) this.#recovery(state, answer.recovered, answer.reason);
      settle?.resolve();
    } else {
      state.events.emit("resubscribed", { topic: state.topic });
      if (state.recover && answer.recovered !== undefined) this.#recovery(state, answer.recovered, answer.reason);
    }
  }

  /** The subscription cannot go on: `subscribe()` rejects, or (once it was given out) its `error` event fires. */
  #subFailed(state: SubscriptionState, kind: "denied" | "unavailable" | "timeout" | "closed" | "ended", reason: string): void {
    if (state.phase === "ended") return;
    const wasPending = state.phase === "pending";
    const settle = state.settle;
    state.settle = undefined;
    this.#end(state);
    const err = new SubscribeError(state.topic, kind, reason);
    if (wasPending) settle?.reject(err);
    else state.events.emit("error", err);
  }

  #subTimedOut(state: SubscriptionState): void {
    state.timer = undefined;
    const id = state.requestId;
    if (id !== undefined) {
      // The server may still say yes: undo it, so no subscription stays behind unseen.
      this.#control.forget(id);
      state.requestId = undefined;
      this.#sendUnsub(state.topic, state.timeout).catch(() => {});
    }
    this.#subFailed(state, "timeout", `no answer within ${state.timeout} ms`);
  }

  /** Takes the subscription out of the table; its loop ends and it gets no more publications or events. */
  #end(state: SubscriptionState): void {
    if (this.#subs.get(state.topic) === state) this.#subs.delete(state.topic);
    state.phase = "ended";
    state.confirmed = false;
    state.requestId = undefined;
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timer = undefined;
    state.inbox.end();
  }

  /** Sends `unsub` on the open connection; resolves at once when offline (the next connection will not have it). */
  #sendUnsub(topic: string, timeout: number): Promise<void> {
    if (!this.#host.open()) return Promise.resolve();
    this.#leaving.set(topic, (this.#leaving.get(topic) ?? 0) + 1);
    const left = () => {
      const n = this.#leaving.get(topic)! - 1;
      if (n === 0) this.#leaving.delete(topic);
      else this.#leaving.set(topic, n);
    };
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#control.forget(id);
        left();
        reject(new SubscribeError(topic, "timeout", `unsubscribe: no answer within ${timeout} ms`));
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        left();
      };
      const id = this.#control.add({
        ok: () => {
          done();
          resolve();
        },
        refused: (reason) => {
          done();
          reject(new SubscribeError(topic, "denied", reason));
        },
        // A closed connection holds no subscription: done.
        lost: () => {
          done();
          resolve();
        },
      });
      this.#host.sendFrame(controlFrame({ t: "unsub", id, topic }));
    });
  }

  #sendPresence(call: PresenceCall): void {
    const id = this.#control.add({
      ok: (answer) => {
        clearTimeout(call.timer);
        call.resolve(answer.members ?? []);
      },
      refused: (reason) => this.#presenceFailed(call, "denied", reason),
      lost: (final) => {
        call.id = undefined;
        if (final) this.#presenceFailed(call, "closed", "the client closed before the server answered");
        else this.#waitingPresence.push(call);
      },
    });
    call.id = id;
    this.#host.sendFrame(controlFrame({ t: "presence", id, topic: call.state.topic }));
  }

  #presenceFailed(call: PresenceCall, kind: "denied" | "unavailable" | "closed", reason: string): void {
    clearTimeout(call.timer);
    call.reject(new SubscribeError(call.state.topic, kind, `presence: ${reason}`));
  }

  #sendPublish(publish: PendingPublish, payload: string | Uint8Array): void {
    const id = this.#control.add({
      ok: (answer) =>
        publish.succeed(
          answer.epoch !== undefined && answer.offset !== undefined ? { epoch: answer.epoch, offset: answer.offset } : undefined,
        ),
      refused: (reason, unavailable) => publish.fail(unavailable ? "unavailable" : "denied", reason),
      lost: () => publish.fail("closed", "the connection closed before the server answered: it may or may not have been published"),
    });
    publish.id = id;
    const topic = publish.topic;
    this.#host.sendFrame(
      typeof payload === "string" ? controlFrame({ t: "pub", id, topic, data: payload }) : binaryPublish(id, topic, payload),
    );
  }
}
