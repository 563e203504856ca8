/**
 * One channels connection's control messages (docs/channels.md): decodes
 * each frame, hands application frames back to the connection, and runs
 * `sub`/`unsub`/`pub`/binary publish/`presence` one at a time in the order
 * they arrived (each authorized, applied and answered before the next, even
 * when `authorize` is async), under the limits. It also holds the server's
 * own requests (`socket.request()`) and their replies. Internal.
 *
 * @module
 */

import { controlFrame, decodeClientFrame, MAX_REQUEST_ID, topicProblem } from "../shared/channel_wire.ts";
import type { ClientControl, PresenceMember, ServerControl, SubRecovery } from "../shared/channel_wire.ts";
import type { RecoveryFailure, StreamPosition } from "../shared/position.ts";
import { RequestError } from "../shared/errors.ts";
import { ReadyStates } from "../shared/types.ts";
import type { ChannelAction } from "../server/channel_options.ts";
import type { ChannelConnection, ChannelHost, ChannelSession } from "../server/channel_port.ts";
import { RateLimiter } from "../server/rate_limit.ts";
import type { HistoryService } from "./history.ts";
import { recover } from "./replay.ts";

/** A request of the client waiting its turn. */
type Work =
  | Exclude<ClientControl, { t: "reply" }>
  | { t: "bpub"; id: number; topic: string; data: Uint8Array };

/** What a session needs from the endpoint's channels layer (service.ts). */
export interface SessionService<D> {
  readonly host: ChannelHost<D>;
  /** Presence is on (`channels.presence` given). */
  readonly presenceOn: boolean;
  /** Topics with history (`channels.history`), or undefined. */
  readonly history: HistoryService<D> | undefined;
  members(topic: string): PresenceMember[];
  /** Joins the registry and follows `topic`'s join/leave events for this session. */
  join(topic: string, member: PresenceMember): void;
  leave(topic: string, memberId: string): void;
  watch(topic: string, session: Session<D>): void;
  unwatch(topic: string, session: Session<D>): void;
}

interface PendingRequest {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const encoder = new TextEncoder();

/** The channels side of one connection. */
export class Session<D> implements ChannelSession {
  readonly #conn: ChannelConnection<D>;
  readonly #service: SessionService<D>;
  readonly #limiter: RateLimiter;
  readonly #queue: Work[] = [];
  #running = false;
  /** Topics where this socket asked for join/leave events. */
  readonly #watching = new Set<string>();
  /** Topics where this socket is a presence member. */
  readonly #memberOf = new Set<string>();
  /** Topics with history whose feed this socket holds (subscribed, or recovering). */
  readonly #feeds = new Set<string>();
  readonly #requests = new Map<number, PendingRequest>();
  #lastRequestId = 0;

  constructor(conn: ChannelConnection<D>, service: SessionService<D>) {
    this.#conn = conn;
    this.#service = service;
    this.#limiter = new RateLimiter(service.host.options.controlRate);
  }

  /** This socket's id (the presence member id). */
  get memberId(): string {
    return this.#conn.socket.id;
  }

  /** Sends a control message to the client. */
  control(message: ServerControl): void {
    this.#conn.send(controlFrame(message));
  }

  received(data: string | Uint8Array): void {
    const frame = decodeClientFrame(data);
    switch (frame.kind) {
      case "app":
        this.#conn.appReceived(frame.data);
        return;
      case "malformed":
        this.#service.host.count("channelMalformed");
        this.control(frame.id === undefined ? { t: "error", reason: frame.reason } : { t: "error", id: frame.id, reason: frame.reason });
        return;
      case "control":
        if (frame.message.t === "reply") {
          // Not queued: an `authorize` may itself wait for a socket.request() reply.
          this.#replied(frame.message);
          return;
        }
        this.#enqueue(frame.message);
        return;
      case "binary-publish":
        // A copy: the engine's buffer must not be held while authorize runs.
        this.#enqueue({ t: "bpub", id: frame.id, topic: frame.topic, data: frame.data.slice() });
        return;
      case "binary-publication":
        return; // decodeClientFrame never returns it
    }
  }

  #enqueue(work: Work): void {
    if (!this.#limiter.take()) {
      this.#service.host.count("channelRateLimited");
      this.control({ t: "deny", id: work.id, reason: "rate limit exceeded" });
      return;
    }
    this.#queue.push(work);
    if (!this.#running) void this.#run();
  }

  /** Handles the queue one request at a time (docs/channels.md "One at a time"). */
  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const work = this.#queue.shift()!;
        if (this.#conn.state !== ReadyStates.OPEN) {
          this.#queue.length = 0;
          break;
        }
        try {
          await this.#handle(work);
        } catch (err) {
          // A bug of ours: reported, the request answered, the connection kept.
          this.#service.host.report(this.#conn.socket, err);
          this.control({ t: "error", id: work.id, reason: "internal error" });
        }
      }
    } finally {
      this.#running = false;
    }
  }

  #handle(work: Work): Promise<void> | void {
    switch (work.t) {
      case "sub":
        return this.#subscribe(work.id, work.topic, work.presence === true, work);
      case "unsub":
        return this.#unsubscribe(work.id, work.topic);
      case "pub":
      case "bpub":
        return this.#publish(work.id, work.topic, work.data);
      case "presence":
        return this.#presence(work.id, work.topic);
    }
  }

  #deny(id: number, reason: string): void {
    this.#service.host.count("channelDenied");
    this.control({ t: "deny", id, reason });
  }

  /** Runs `authorize`; the reason to deny, or undefined when allowed. */
  async #authorize(topic: string, action: ChannelAction): Promise<string | undefined> {
    const host = this.#service.host;
    let verdict: unknown;
    try {
      verdict = await host.options.authorize(this.#conn.socket, topic, action);
    } catch (err) {
      host.report(this.#conn.socket, err);
      return "internal error";
    }
    if (verdict === true) return undefined;
    return typeof verdict === "string" ? verdict : "not allowed";
  }

  get #maxTopicBytes(): number {
    return this.#service.host.options.maxTopicBytes;
  }

  async #subscribe(id: number, topic: string, presence: boolean, ask: SubRecovery): Promise<void> {
    const problem = topicProblem(topic, this.#maxTopicBytes);
    if (problem !== undefined) return this.#deny(id, problem);
    const options = this.#service.host.options;
    const tooMany = () => !this.#conn.topics().has(topic) && this.#conn.topics().size >= options.maxSubscriptions;
    if (tooMany()) return this.#deny(id, "too many subscriptions");
    const refused = await this.#authorize(topic, "subscribe");
    if (this.#conn.state !== ReadyStates.OPEN) return;
    if (refused !== undefined) return this.#deny(id, refused);
    const service = this.#service;
    let member: PresenceMember | undefined;
    if (presence && service.presenceOn && !this.#memberOf.has(topic)) {
      const info = await this.#presenceInfo();
      if (this.#conn.state !== ReadyStates.OPEN) return;
      if (typeof info === "string") return this.#deny(id, info);
      member = { id: this.memberId, info: info.value };
    }
    if (tooMany()) return this.#deny(id, "too many subscriptions");
    const history = service.history;
    const keeps = history !== undefined && history.keeps(topic);
    const confirm = (extra: Partial<Extract<ServerControl, { t: "ok" }>>) => {
      if (presence) {
        this.#watching.add(topic);
        service.watch(topic, this);
      }
      if (member !== undefined) {
        this.#memberOf.add(topic);
        service.join(topic, member);
      }
      const members = presence ? { members: service.presenceOn ? service.members(topic) : [] } : {};
      this.control({ t: "ok", id, ...members, ...extra });
    };
    if (ask.recover !== true || !keeps) {
      if (keeps) this.#holdFeed(topic);
      this.#conn.join(topic);
      const asked = ask.since !== undefined || ask.last !== undefined;
      if (ask.recover === true && asked) this.#service.host.count("recoveryFailures");
      confirm(ask.recover === true && asked ? { recovered: false, reason: "not recoverable" } : {});
      return;
    }
    const held = this.#holdFeed(topic);
    const joined = await recover(
      {
        conn: this.#conn,
        history: history!,
        ok: (position: StreamPosition | undefined, recovered: boolean | undefined, reason: RecoveryFailure | undefined) => {
          const extra: Partial<Extract<ServerControl, { t: "ok" }>> = position === undefined ? {} : { ...position };
          if (recovered !== undefined) extra.recovered = recovered;
          if (reason !== undefined) extra.reason = reason;
          confirm(extra);
        },
        join: () => this.#conn.join(topic),
        count: (stat, n) => this.#service.host.count(stat, n),
        report: (err) => this.#service.host.report(this.#conn.socket, err),
      },
      topic,
      ask,
      held,
    );
    if (!joined) this.#releaseFeed(topic);
  }

  /** Holds the topic's feed for this socket (once per topic). */
  #holdFeed(topic: string) {
    const history = this.#service.history!;
    if (this.#feeds.has(topic)) return history.hold(topic, false);
    this.#feeds.add(topic);
    return history.hold(topic);
  }

  #releaseFeed(topic: string): void {
    if (this.#feeds.delete(topic)) this.#service.history?.release(topic);
  }

  /** `channels.presence(socket)`, checked; a string is the reason to deny. */
  async #presenceInfo(): Promise<{ value: unknown } | string> {
    const host = this.#service.host;
    let info: unknown;
    let json: string | undefined;
    try {
      info = (await host.options.presence!(this.#conn.socket)) ?? null;
      json = JSON.stringify(info);
    } catch (err) {
      host.report(this.#conn.socket, err);
      return "internal error";
    }
    if (json === undefined) {
      host.report(this.#conn.socket, new TypeError("channels.presence returned a value JSON cannot encode"));
      return "internal error";
    }
    const max = host.options.maxPresenceInfoBytes;
    if (json.length > max || encoder.encode(json).byteLength > max) {
      host.report(
        this.#conn.socket,
        new RangeError(`channels.presence returned ${json.length}+ bytes of JSON, more than maxPresenceInfoBytes (${max})`),
      );
      return "presence info too large";
    }
    return { value: JSON.parse(json) };
  }

  #unsubscribe(id: number, topic: string): void {
    if (this.#conn.topics().has(topic)) this.#conn.leave(topic);
    this.#left(topic);
    this.control({ t: "ok", id });
  }

  /** Presence bookkeeping once the socket no longer holds `topic`. */
  #left(topic: string): void {
    this.#releaseFeed(topic);
    if (this.#watching.delete(topic)) this.#service.unwatch(topic, this);
    if (this.#memberOf.delete(topic)) this.#service.leave(topic, this.memberId);
  }

  async #publish(id: number, topic: string, data: string | Uint8Array): Promise<void> {
    const problem = topicProblem(topic, this.#maxTopicBytes);
    if (problem !== undefined) return this.#deny(id, problem);
    const refused = await this.#authorize(topic, "publish");
    if (this.#conn.state !== ReadyStates.OPEN) return;
    if (refused !== undefined) return this.#deny(id, refused);
    const history = this.#service.history;
    if (history === undefined || !history.keeps(topic)) {
      this.#service.host.publish(topic, data);
      this.control({ t: "ok", id });
      return;
    }
    // Acknowledged once stored, with the position; a store that fails is the publisher's to know.
    let position: StreamPosition | undefined;
    try {
      position = await history.publishAcked(topic, data, undefined);
    } catch (err) {
      this.#service.host.report(this.#conn.socket, err);
      if (this.#conn.state === ReadyStates.OPEN) {
        this.control({ t: "deny", id, reason: "the history store is unavailable: not published", kind: "unavailable" });
      }
      return;
    }
    if (this.#conn.state !== ReadyStates.OPEN) return;
    this.control(position === undefined ? { t: "ok", id } : { t: "ok", id, epoch: position.epoch, offset: position.offset });
  }

  #presence(id: number, topic: string): void {
    if (!this.#service.presenceOn) return this.#deny(id, "presence is not enabled on this server");
    if (!this.#conn.topics().has(topic)) return this.#deny(id, "not subscribed");
    this.control({ t: "ok", id, members: this.#service.members(topic) });
  }

  request(value: unknown, timeout: number): Promise<unknown> {
    if (this.#conn.state !== ReadyStates.OPEN) {
      return Promise.reject(new RequestError("closed", "socket.request(): the connection is not open"));
    }
    const id = this.#lastRequestId = this.#lastRequestId + 1 >= MAX_REQUEST_ID ? 1 : this.#lastRequestId + 1;
    let frame: string;
    try {
      frame = controlFrame({ t: "req", id, data: value });
    } catch (err) {
      return Promise.reject(new TypeError(`socket.request(): the value is not JSON: ${(err as Error).message}`, { cause: err }));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#requests.delete(id);
        reject(new RequestError("timeout", `request ${id} got no reply within ${timeout} ms`));
      }, timeout);
      this.#requests.set(id, { resolve, reject, timer });
      if (this.#conn.send(frame) === "dropped") {
        this.#fail(id, new RequestError("dropped", `request ${id} was not sent (backpressure limit)`));
      }
    });
  }

  #fail(id: number, err: Error): void {
    const pending = this.#requests.get(id);
    if (pending === undefined) return;
    this.#requests.delete(id);
    clearTimeout(pending.timer);
    pending.reject(err);
  }

  #replied(reply: { id: number; data?: unknown; error?: string }): void {
    const pending = this.#requests.get(reply.id);
    if (pending === undefined) return; // late (timed out) or unknown: nothing waits for it
    this.#requests.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.error !== undefined) pending.reject(new RequestError("rejected", reply.error));
    else pending.resolve(reply.data ?? null);
  }

  ended(topic: string): void {
    this.#left(topic);
    this.control({ t: "end", topic, reason: "unsubscribed by the server" });
  }

  closed(): void {
    this.#queue.length = 0;
    for (const topic of [...this.#watching, ...this.#memberOf, ...this.#feeds]) this.#left(topic);
    for (const id of [...this.#requests.keys()]) {
      this.#fail(id, new RequestError("closed", `request ${id} got no reply: the connection closed`));
    }
  }
}
