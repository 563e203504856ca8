/**
 * The presence of channel topics: which members (sockets, with the info
 * their server chose) are in each topic, on this server and, through a
 * {@link Broker}, on every server sharing it (docs/channels.md, "Presence
 * between servers"). Internal: the server builds one registry and forwards
 * its `onChange` events to the subscribers that asked for presence.
 *
 * Bounds: a server that dies without saying so has its members removed
 * within `3 × heartbeatMs` plus one heartbeat after its last beat arrived
 * (default heartbeat 5 s: at most 20 s), plus any delay of the broker.
 *
 * @module
 */

import type { Broker, BrokerListener, BrokerMessage } from "../broker/broker.ts";
import type { PresenceMember } from "../shared/channel_wire.ts";
import { decodeAnnouncement, encodeAnnouncement, MAX_PRESENCE_ID_LENGTH, PRESENCE_TOPIC_PREFIX, presenceTopic } from "./presence_wire.ts";
import type { PresenceAnnouncement } from "./presence_wire.ts";

/** Default time between two beats of a server. */
export const DEFAULT_PRESENCE_HEARTBEAT_MS = 5000;
/** A server that sent nothing for this many heartbeats (of the receiver) has its members removed. */
export const PRESENCE_MISSED_BEATS = 3;
/** At most this many members of one other server in one topic are kept (a longer `beat` is refused, later `join`s ignored). */
export const MAX_REMOTE_MEMBERS_PER_SERVER = 10_000;
/** At most this many other servers are tracked per topic (announcements of further ones are ignored). */
export const MAX_REMOTE_SERVERS_PER_TOPIC = 1_000;

/**
 * A change of a topic's members, local or on another server.
 *
 * @example
 * ```ts
 * import { PresenceRegistry } from "./presence.ts";
 * import type { PresenceChange } from "./presence.ts";
 * const seen: PresenceChange[] = [];
 * const registry = new PresenceRegistry({ serverId: "a", report: console.error, onChange: (c) => seen.push(c) });
 * registry.join("room", { id: "s1", info: { name: "Ada" } }); // seen: [{ type: "join", topic: "room", member: ... }]
 * await registry.close();
 * ```
 */
export interface PresenceChange {
  type: "join" | "leave";
  topic: string;
  member: PresenceMember;
}

/**
 * Options of a {@link PresenceRegistry}.
 *
 * @example
 * ```ts
 * import { MemoryBroker } from "../broker/memory.ts";
 * import type { PresenceOptions } from "./presence.ts";
 * const options: PresenceOptions = {
 *   serverId: crypto.randomUUID(),
 *   broker: new MemoryBroker(),
 *   heartbeatMs: 5000,
 *   report: (err) => console.error("presence:", err),
 *   onChange: (change) => console.log(change.type, change.topic, change.member.id),
 * };
 * ```
 */
export interface PresenceOptions {
  /** This server's id: unique among the servers sharing the broker (the broker `origin`). */
  serverId: string;
  /** Shares presence with the other servers on it; without one, presence is this server's only. */
  broker?: Broker;
  /** Time between two beats. Default 5000. Every server sharing a broker should use the same. */
  heartbeatMs?: number;
  /** Told about bad payloads from the broker, failed broker calls and a throwing `onChange`. Must not throw. */
  report(err: unknown): void;
  /** Called once per change, for local and remote members (including those removed by expiry or a server's close). */
  onChange(event: PresenceChange): void;
}

/** Another server's members in one topic, and when it was last heard from there. */
interface RemoteServer {
  members: Map<string, PresenceMember>;
  /** The receiver's tick count when it last heard from this server in this topic. */
  seenTick: number;
  /** performance.now() then. */
  seenAt: number;
}

interface TopicState {
  local: Map<string, PresenceMember>;
  remote: Map<string, RemoteServer>;
}

type Timer = ReturnType<typeof setInterval>;

/**
 * Lets the process exit while the timer runs: a registry's beats must
 * never keep a server process alive. Deno's interval ids are numbers
 * (Deno.unrefTimer), Bun's and Node's are objects with unref().
 */
function unrefTimer(timer: Timer): void {
  if (typeof timer === "object" && timer !== null && typeof (timer as { unref?: unknown }).unref === "function") {
    (timer as { unref(): void }).unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno;
  if (typeof timer === "number" && typeof deno?.unrefTimer === "function") deno.unrefTimer(timer);
}

/**
 * The members of each topic, local and on the other servers sharing the
 * broker.
 *
 * - Local members are added by {@link join} and removed by {@link leave};
 *   a second `join` of the same id in the same topic changes nothing.
 * - The registry listens to a topic's presence on the broker while it has
 *   local members there (on the servers, every presence subscriber is a
 *   member, so a topic nobody here is in needs nobody else's members).
 *   {@link members} of a topic without local members is therefore empty;
 *   when the last local member leaves, what was known of the other servers'
 *   members there is forgotten without `leave` events (nobody here is left
 *   to tell).
 * - On the first local member of a topic it subscribes, then asks the
 *   others (`sync`) for their members at once. Every heartbeat it sends the
 *   full list of its members of each topic (`beat`); a receiver takes that
 *   list as the truth for that server, so a lost `join` or `leave` (Redis
 *   pub/sub is at most once) is repaired within one heartbeat.
 * - Another server's members of a topic are removed when nothing came from
 *   it there for more than {@link PRESENCE_MISSED_BEATS} of this registry's
 *   heartbeats (and at least `3 × heartbeatMs`): within `3 × heartbeatMs`
 *   plus one heartbeat after the last beat arrived (default at most 20 s).
 *   Counting the receiver's own ticks means a receiver whose event loop
 *   stalled does not remove members of servers that were fine.
 * - One interval per registry, unref'd, running only while there are local
 *   members and a broker.
 * - Member ids are socket ids (UUIDs), unique across servers; should two
 *   servers name the same id, {@link members} lists it once (events come
 *   from each).
 * - Members of one other server per topic are capped at
 *   {@link MAX_REMOTE_MEMBERS_PER_SERVER}, other servers per topic at
 *   {@link MAX_REMOTE_SERVERS_PER_TOPIC}; what is beyond is reported and
 *   ignored, as is every payload that is not a valid announcement.
 *
 * @example Two servers' registries on one broker
 * ```ts
 * import { MemoryBroker } from "../broker/memory.ts";
 * import { PresenceRegistry } from "./presence.ts";
 * const broker = new MemoryBroker();
 * const options = { broker, report: console.error, onChange: () => {} };
 * const a = new PresenceRegistry({ ...options, serverId: "a" });
 * const b = new PresenceRegistry({ ...options, serverId: "b" });
 * a.join("room", { id: "s1", info: { name: "Ada" } });
 * b.join("room", { id: "s2", info: { name: "Bob" } });
 * console.log(a.members("room")); // s1 and s2
 * await a.close(); // b's onChange gets a leave for s1
 * await b.close();
 * ```
 */
export class PresenceRegistry {
  readonly #serverId: string;
  readonly #broker: Broker | undefined;
  readonly #heartbeatMs: number;
  readonly #report: (err: unknown) => void;
  readonly #onChange: (event: PresenceChange) => void;
  readonly #topics = new Map<string, TopicState>();
  /**
   * Broker calls per topic (subscribe + sync, unsubscribe), one after the
   * other: kept apart from the topic's state so that a leave and a quick
   * rejoin cannot have the old unsubscribe land after the new subscribe.
   */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #listener: BrokerListener = (message) => this.#received(message);
  #timer: Timer | undefined;
  #ticks = 0;
  #closed = false;

  constructor(options: PresenceOptions) {
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_PRESENCE_HEARTBEAT_MS;
    if (!(heartbeatMs > 0) || !Number.isFinite(heartbeatMs)) {
      throw new RangeError(`presence heartbeatMs must be a positive number of milliseconds, not ${heartbeatMs}`);
    }
    const serverId = options.serverId;
    if (typeof serverId !== "string" || serverId.length === 0 || serverId.length > MAX_PRESENCE_ID_LENGTH) {
      // The other servers would refuse every announcement of this one.
      throw new RangeError(`presence serverId must be a string of 1 to ${MAX_PRESENCE_ID_LENGTH} characters`);
    }
    this.#serverId = serverId;
    this.#broker = options.broker;
    this.#heartbeatMs = heartbeatMs;
    this.#report = options.report;
    this.#onChange = options.onChange;
  }

  /** A local socket joined `topic`. Ignored when `member.id` is there already, or after {@link close}. */
  join(topic: string, member: PresenceMember): void {
    if (this.#closed) return;
    let state = this.#topics.get(topic);
    if (state === undefined) {
      state = { local: new Map(), remote: new Map() };
      this.#topics.set(topic, state);
    }
    if (state.local.has(member.id)) return;
    const first = state.local.size === 0;
    state.local.set(member.id, member);
    this.#emit({ type: "join", topic, member });
    if (this.#broker === undefined) return;
    this.#announce(topic, { t: "join", server: this.#serverId, member });
    if (first) this.#listen(topic, state);
    this.#startTimer();
  }

  /** A local socket left `topic`. Ignored when it is not a member. */
  leave(topic: string, memberId: string): void {
    if (this.#closed) return;
    const state = this.#topics.get(topic);
    const member = state?.local.get(memberId);
    if (state === undefined || member === undefined) return;
    state.local.delete(memberId);
    this.#emit({ type: "leave", topic, member });
    if (this.#broker !== undefined) this.#announce(topic, { t: "leave", server: this.#serverId, member });
    if (state.local.size > 0) return;
    state.remote.clear();
    this.#topics.delete(topic);
    if (this.#broker !== undefined) this.#unlisten(topic);
    this.#stopTimerIfIdle();
  }

  /** The members of `topic` now: this server's first, then the other servers' (one entry per id). */
  members(topic: string): PresenceMember[] {
    const state = this.#topics.get(topic);
    if (state === undefined) return [];
    const seen = new Map<string, PresenceMember>(state.local);
    for (const server of state.remote.values()) {
      for (const [id, member] of server.members) if (!seen.has(id)) seen.set(id, member);
    }
    return [...seen.values()];
  }

  /**
   * Tells the other servers that all of this server's members are gone
   * (one `bye` per topic), stops the timer and unsubscribes from the
   * broker. No `onChange` events: the server is going away. Later calls do
   * nothing; it never rejects (broker errors go to `report`), and it waits
   * for the broker at most one heartbeat (or 1 s if longer): a broker that
   * is down must not hold up a shutdown, and the others expire this
   * server's members anyway.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimer();
    const topics = [...this.#topics];
    this.#topics.clear();
    const broker = this.#broker;
    if (broker === undefined) return;
    const bye = topics.map(([topic]) =>
      this.#chain(topic, async () => {
        await this.#call(() => broker.publish(this.#message(topic, { t: "bye", server: this.#serverId })));
        await this.#call(() => broker.unsubscribe(presenceTopic(topic), this.#listener));
      })
    );
    let timer: Timer | undefined;
    const patience = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#safeReport(new Error("presence: the broker did not take this server's leaves in time; the others will expire them"));
        resolve();
      }, Math.max(this.#heartbeatMs, 1000));
    });
    await Promise.race([Promise.all([...bye, ...this.#chains.values()]), patience]);
    clearTimeout(timer);
  }

  #emit(event: PresenceChange): void {
    try {
      this.#onChange(event);
    } catch (err) {
      this.#safeReport(err);
    }
  }

  #safeReport(err: unknown): void {
    try {
      this.#report(err);
    } catch {
      // report must not throw; if it does, there is nobody left to tell.
    }
  }

  /** Runs a broker call, sync or async, sending its failure to report. Never rejects. */
  async #call(call: () => void | Promise<void>): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.#safeReport(err);
    }
  }

  #message(topic: string, announcement: PresenceAnnouncement): BrokerMessage {
    return { topic: presenceTopic(topic), data: encodeAnnouncement(announcement), origin: this.#serverId };
  }

  #announce(topic: string, announcement: PresenceAnnouncement): void {
    const broker = this.#broker!;
    void this.#call(() => broker.publish(this.#message(topic, announcement)));
  }

  /** Runs `step` after the topic's earlier broker calls; resolves when it is done. */
  #chain(topic: string, step: () => Promise<void>): Promise<void> {
    const next = (this.#chains.get(topic) ?? Promise.resolve()).then(step);
    this.#chains.set(topic, next);
    void next.then(() => {
      if (this.#chains.get(topic) === next) this.#chains.delete(topic);
    });
    return next;
  }

  /** Subscribes, then asks the others for their members (after: their answers must not arrive before we listen). */
  #listen(topic: string, state: TopicState): void {
    const broker = this.#broker!;
    void this.#chain(topic, async () => {
      await this.#call(() => broker.subscribe(presenceTopic(topic), this.#listener));
      // Left meanwhile (or closed): unlisten was chained after this and unsubscribes; no sync needed.
      if (this.#topics.get(topic) !== state) return;
      await this.#call(() => broker.publish(this.#message(topic, { t: "sync", server: this.#serverId })));
    });
  }

  #unlisten(topic: string): void {
    const broker = this.#broker!;
    void this.#chain(topic, () => this.#call(() => broker.unsubscribe(presenceTopic(topic), this.#listener)));
  }

  #received(message: BrokerMessage): void {
    if (message.origin === this.#serverId || this.#closed) return;
    if (!message.topic.startsWith(PRESENCE_TOPIC_PREFIX)) return;
    const topic = message.topic.slice(PRESENCE_TOPIC_PREFIX.length);
    const decoded = decodeAnnouncement(message.data, MAX_REMOTE_MEMBERS_PER_SERVER);
    if (!decoded.ok) {
      this.#safeReport(new Error(`ignored a presence announcement on topic ${JSON.stringify(topic)}: ${decoded.reason}`));
      return;
    }
    const announcement = decoded.announcement;
    if (announcement.server === this.#serverId) return;
    const state = this.#topics.get(topic);
    if (state === undefined) return; // not listening any more (an unsubscribe in flight)
    switch (announcement.t) {
      case "sync":
        this.#beat(topic, state);
        return;
      case "bye":
        this.#forget(topic, state, announcement.server);
        return;
      case "join": {
        const server = this.#remote(topic, state, announcement.server);
        if (server === undefined || server.members.has(announcement.member.id)) return;
        if (server.members.size >= MAX_REMOTE_MEMBERS_PER_SERVER) {
          const why = `server ${announcement.server} has ${MAX_REMOTE_MEMBERS_PER_SERVER} members there`;
          this.#safeReport(new Error(`ignored a join on topic ${JSON.stringify(topic)}: ${why}`));
          return;
        }
        server.members.set(announcement.member.id, announcement.member);
        this.#emit({ type: "join", topic, member: announcement.member });
        return;
      }
      case "leave": {
        const server = state.remote.get(announcement.server);
        const member = server?.members.get(announcement.member.id);
        if (server === undefined) return;
        this.#touch(server);
        if (member === undefined) return;
        server.members.delete(member.id);
        this.#emit({ type: "leave", topic, member });
        return;
      }
      case "beat": {
        const server = this.#remote(topic, state, announcement.server);
        if (server === undefined) return;
        const next = new Map(announcement.members.map((m) => [m.id, m]));
        for (const [id, member] of server.members) {
          if (next.has(id)) continue;
          server.members.delete(id);
          this.#emit({ type: "leave", topic, member });
        }
        for (const [id, member] of next) {
          if (server.members.has(id)) continue;
          server.members.set(id, member);
          this.#emit({ type: "join", topic, member });
        }
        return;
      }
    }
  }

  /** Another server's entry in a topic (created and counted as heard from), or undefined beyond the cap. */
  #remote(topic: string, state: TopicState, serverId: string): RemoteServer | undefined {
    let server = state.remote.get(serverId);
    if (server === undefined) {
      if (state.remote.size >= MAX_REMOTE_SERVERS_PER_TOPIC) {
        const why = `${MAX_REMOTE_SERVERS_PER_TOPIC} servers known there`;
        this.#safeReport(new Error(`ignored presence of server ${serverId} on topic ${JSON.stringify(topic)}: ${why}`));
        return undefined;
      }
      server = { members: new Map(), seenTick: this.#ticks, seenAt: performance.now() };
      state.remote.set(serverId, server);
    }
    this.#touch(server);
    return server;
  }

  #touch(server: RemoteServer): void {
    server.seenTick = this.#ticks;
    server.seenAt = performance.now();
  }

  /** Removes another server's members of a topic, with a leave for each. */
  #forget(topic: string, state: TopicState, serverId: string): void {
    const server = state.remote.get(serverId);
    if (server === undefined) return;
    state.remote.delete(serverId);
    for (const member of server.members.values()) this.#emit({ type: "leave", topic, member });
  }

  #beat(topic: string, state: TopicState): void {
    this.#announce(topic, { t: "beat", server: this.#serverId, members: [...state.local.values()] });
  }

  #tick(): void {
    this.#ticks++;
    const now = performance.now();
    const expiredBefore = now - PRESENCE_MISSED_BEATS * this.#heartbeatMs;
    for (const [topic, state] of this.#topics) {
      this.#beat(topic, state);
      for (const [serverId, server] of state.remote) {
        if (this.#ticks - server.seenTick > PRESENCE_MISSED_BEATS && server.seenAt <= expiredBefore) {
          this.#forget(topic, state, serverId);
        }
      }
    }
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#tick(), this.#heartbeatMs);
    unrefTimer(this.#timer);
  }

  #stopTimerIfIdle(): void {
    if (this.#topics.size === 0) this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
