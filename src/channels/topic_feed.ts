/**
 * The live publications of one topic with history, as this server delivers
 * them: in position order, each once. Internal.
 *
 * With a store of this process (`shared: false`) positions are given here
 * in delivery order, so the feed passes them straight on. With a shared
 * store, publications of several servers meet here through the broker, and
 * two servers publishing at once can arrive in the other order (server A
 * stores offset 5, server B offset 6, and B delivers its own 6 before A's 5
 * arrives); a broker that lost a message (Redis pub/sub is at most once)
 * leaves a hole. So the feed holds a publication that comes early, waits
 * a moment for the missing ones, then reads them from the store; a late
 * one already passed is dropped.
 *
 * Recovering sessions tap the feed: everything it delivers while their
 * replay runs is kept for them (bounded), so that the seam between replay
 * and live has no gap and no duplicate (replay.ts).
 *
 * @module
 */

import type { StreamPosition } from "../shared/position.ts";
import type { StoredPublication } from "../broker/history.ts";

/** One publication at its position; `except` is the hub's token of a sender to leave out. */
export interface Positioned {
  position: StreamPosition;
  data: string | Uint8Array;
  except: object | undefined;
}

/** How long an early publication waits for the ones before it before they are read from the store. */
export const FILL_DELAY_MS = 50;
/** The most early publications held; beyond, the hole is given up (its subscribers see a gap). */
export const MAX_PENDING = 10_000;
/** The most publications a tap keeps; beyond, it overflows and its session reads them from the store instead. */
export const MAX_TAPPED = 1_000;

/** What a feed needs from the history service. */
export interface FeedHost {
  /** Local fan-out (the hub). */
  deliver(topic: string, publication: Positioned): void;
  /** The topic's publications after `after` up to `limit` from the store, or undefined when they cannot be had. */
  fill(topic: string, after: StreamPosition, limit: number): Promise<StoredPublication[] | undefined>;
  /** The store's top now (undefined: unknown, the first publication seen sets it). */
  top(topic: string): Promise<StreamPosition | undefined>;
}

/** What the feed delivered while a session's replay ran. */
export class Tap {
  items: Positioned[] = [];
  /** More than MAX_TAPPED arrived: `items` was emptied; the session reads them from the store. */
  overflowed = false;

  push(publication: Positioned): void {
    if (this.overflowed) return;
    if (this.items.length >= MAX_TAPPED) {
      this.overflowed = true;
      this.items = [];
      return;
    }
    this.items.push(publication);
  }

  /** Starts keeping afresh (the session reads from the store from here). */
  reset(): void {
    this.items = [];
    this.overflowed = false;
  }
}

/** One topic's live publications on this server. */
export class TopicFeed {
  readonly topic: string;
  readonly #host: FeedHost;
  /** Reorder and fill holes (shared store); else pass through. */
  readonly #ordered: boolean;
  readonly #taps = new Set<Tap>();
  /** Sessions holding this feed (subscribed or recovering). */
  holders = 0;
  #epoch: string | undefined;
  /** The offset expected next (ordered feeds), once known. */
  #next = 0;
  /**
   * Where this feed started ordering in this epoch. A publication below it
   * was stored before the feed started but reached this server after
   * (in flight through the broker): nobody here delivered it, so it is
   * delivered as it comes (once), not dropped as a late copy.
   */
  #floor = 0;
  /** Offsets below the floor delivered already (a second copy of one is dropped). */
  readonly #belowFloor = new Set<number>();
  /** Waiting for the store's top: everything is held until then. */
  #starting: boolean;
  readonly #pending = new Map<number, Positioned>();
  /** Publications of another epoch held while starting. */
  #held: Positioned[] = [];
  #fillTimer: ReturnType<typeof setTimeout> | undefined;
  #filling = false;
  /** The store's top as a catch-up read found it: this feed delivers up to it, reading what did not come. */
  #target = 0;
  #catchUpTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(topic: string, ordered: boolean, host: FeedHost) {
    this.topic = topic;
    this.#host = host;
    this.#ordered = ordered;
    this.#starting = ordered;
    if (ordered) void this.#start();
  }

  async #start(): Promise<void> {
    let top: StreamPosition | undefined;
    try {
      top = await this.#host.top(this.topic);
    } catch {
      top = undefined; // the first publication seen sets the order
    }
    if (this.#closed) return;
    this.#starting = false;
    const held = this.#held;
    this.#held = [];
    // What was held arrived after the feed was created, so nobody delivered it, even at or below the top (stored
    // before the top was read): the order starts at the lowest of them, or after the top.
    const epoch = top?.epoch ?? held[0]?.position.epoch;
    if (epoch !== undefined) {
      let start = top !== undefined && top.epoch === epoch ? top.offset + 1 : Number.POSITIVE_INFINITY;
      for (const { position } of held) if (position.epoch === epoch && position.offset < start) start = position.offset;
      this.#restart(epoch, start);
    }
    for (const publication of held) this.accept(publication);
  }

  /** Orders from `offset` in `epoch` (a new history, or the feed's start). */
  #restart(epoch: string, offset: number): void {
    this.#epoch = epoch;
    this.#next = offset;
    this.#floor = offset;
    this.#belowFloor.clear();
    this.#pending.clear();
    this.#target = 0;
  }

  tap(): Tap {
    const tap = new Tap();
    this.#taps.add(tap);
    return tap;
  }

  untap(tap: Tap): void {
    this.#taps.delete(tap);
  }

  /** A publication of this topic (local or from the broker), at its position. */
  accept(publication: Positioned): void {
    if (this.#closed) return;
    if (!this.#ordered) return this.#deliver(publication);
    if (this.#starting) {
      this.#held.push(publication);
      if (this.#held.length > MAX_PENDING) this.#held.shift();
      return;
    }
    const { epoch, offset } = publication.position;
    // A new history (the store lost its data and started again), or the first publication seen.
    if (epoch !== this.#epoch) this.#restart(epoch, offset);
    if (offset < this.#next) {
      if (offset < this.#floor && !this.#belowFloor.has(offset) && this.#belowFloor.size < MAX_PENDING) {
        this.#belowFloor.add(offset);
        this.#deliver(publication);
      }
      return; // else delivered already (a late copy)
    }
    if (offset > this.#next) {
      this.#pending.set(offset, publication);
      if (this.#pending.size > MAX_PENDING) this.#giveUpHole();
      else this.#scheduleFill();
      return;
    }
    this.#deliver(publication);
    this.#next++;
    this.#drain();
  }

  #drain(): void {
    for (let p = this.#pending.get(this.#next); p !== undefined; p = this.#pending.get(this.#next)) {
      this.#pending.delete(this.#next);
      this.#deliver(p);
      this.#next++;
    }
    if (!this.#missing() && this.#fillTimer !== undefined) {
      clearTimeout(this.#fillTimer);
      this.#fillTimer = undefined;
    }
  }

  #scheduleFill(): void {
    if (this.#fillTimer !== undefined || this.#filling) return;
    this.#fillTimer = setTimeout(() => {
      this.#fillTimer = undefined;
      void this.#fill();
    }, FILL_DELAY_MS);
  }

  /** Whether publications before a held one, or up to the catch-up target, have not come. */
  #missing(): boolean {
    return this.#pending.size > 0 || this.#target >= this.#next;
  }

  /**
   * Reads the store's top a moment from now (FILL_DELAY_MS) and delivers, in order, what this feed has
   * not seen up to it. For a session that just joined after its replay: this server may have started
   * listening to the broker for the topic only then, and a publication another server stored after the
   * replay's last read but published before that reached nobody here; without a later publication to
   * show the hole, nothing would read it. One read per feed at a time (joins in a burst share it).
   */
  catchUp(): void {
    if (!this.#ordered || this.#closed || this.#catchUpTimer !== undefined) return;
    this.#catchUpTimer = setTimeout(() => {
      this.#catchUpTimer = undefined;
      void this.#readTop();
    }, FILL_DELAY_MS);
  }

  async #readTop(): Promise<void> {
    let top: StreamPosition | undefined;
    try {
      top = await this.#host.top(this.topic);
    } catch {
      return; // the store is down: nothing to read the missing ones from either
    }
    if (this.#closed) return;
    if (this.#starting) return this.catchUp(); // the start's own read is still out: try again after it
    if (top === undefined || top.epoch !== this.#epoch || top.offset < this.#next) return;
    this.#target = Math.max(this.#target, top.offset);
    if (!this.#filling) void this.#fill();
  }

  /** Reads the hole before the earliest held publication (or up to the catch-up target) from the store. */
  async #fill(): Promise<void> {
    if (!this.#missing() || this.#closed) return;
    this.#filling = true;
    const epoch = this.#epoch!;
    const from = this.#next;
    const lowest = this.#pending.size > 0 ? Math.min(...this.#pending.keys()) : this.#target + 1;
    let found: StoredPublication[] | undefined;
    try {
      found = await this.#host.fill(this.topic, { epoch, offset: from - 1 }, lowest - from);
    } catch {
      found = undefined;
    }
    this.#filling = false;
    if (this.#closed) return;
    if (this.#epoch !== epoch) {
      // A new epoch began meanwhile; its early publications could not schedule a fill while this one ran.
      if (this.#missing()) this.#scheduleFill();
      return;
    }
    if (found !== undefined) {
      for (const entry of found) {
        if (entry.offset !== this.#next) continue;
        const held = this.#pending.get(entry.offset);
        this.#pending.delete(entry.offset);
        this.#deliver(held ?? { position: { epoch, offset: entry.offset }, data: entry.data, except: undefined });
        this.#next++;
      }
    }
    // What the store could not give is lost for good: its subscribers see a gap (the client reports it).
    if (this.#next < lowest && (found === undefined || this.#next === from)) this.#next = lowest;
    this.#drain();
    if (this.#missing()) this.#scheduleFill();
  }

  #giveUpHole(): void {
    this.#next = Math.min(...this.#pending.keys());
    this.#drain();
  }

  #deliver(publication: Positioned): void {
    for (const tap of this.#taps) tap.push(publication);
    this.#host.deliver(this.topic, publication);
  }

  /**
   * Delivers what the feed still holds (early publications waiting for a hole, or what came while it
   * started), in offset order. For the last holder leaving: the feed closes, but this server's other
   * subscribers of the topic (plain `socket.subscribe()` sockets) must still get them.
   */
  flush(): void {
    if (this.#closed) return;
    const waiting = [...this.#held, ...[...this.#pending.values()].sort((a, b) => a.position.offset - b.position.offset)];
    this.#held = [];
    this.#pending.clear();
    for (const publication of waiting) this.#deliver(publication);
  }

  close(): void {
    this.#closed = true;
    if (this.#fillTimer !== undefined) clearTimeout(this.#fillTimer);
    this.#fillTimer = undefined;
    if (this.#catchUpTimer !== undefined) clearTimeout(this.#catchUpTimer);
    this.#catchUpTimer = undefined;
    this.#pending.clear();
    this.#belowFloor.clear();
    this.#held = [];
    this.#taps.clear();
  }
}
