/**
 * A `sub` with `recover` (docs/channels.md "Recovery"): tells the client
 * where it stands, replays what it missed from the store, then joins it
 * to the live publications, with no gap and no duplicate at the seam:
 *
 * 1. the topic's feed is tapped before the store is read, so whatever is
 *    delivered live from then on is kept for this session;
 * 2. the `ok` carries the position the publications that follow come
 *    after, and whether all of those the client missed will come;
 * 3. the replay goes out page by page, each page after the client's queue
 *    drained to lowWaterMark (a slow client holds at most a page and the
 *    tap, whatever the gap);
 * 4. when a read reaches the top of the store, the tapped publications
 *    after the last replayed one are sent, and the socket joins the live
 *    subscription, in the same turn of the event loop (nothing can come
 *    between). A tap that overflowed is dropped and the store read again
 *    instead.
 *
 * With a shared store, this server may start listening to the broker for
 * the topic only at the join: the feed reads the store's top once more a
 * moment later and delivers what it has not seen up to it.
 *
 * A publication the feed delivers live after the join may still be one the
 * replay sent (the feed of a shared store can lag the store); the client
 * drops a publication whose offset is not above its position (same epoch).
 * Internal.
 *
 * @module
 */

import { controlFrame, positionedPublication } from "../shared/channel_wire.ts";
import type { SubRecovery } from "../shared/channel_wire.ts";
import type { RecoveryFailure, StreamPosition } from "../shared/position.ts";
import { ReadyStates } from "../shared/types.ts";
import type { HistoryRead, StoredPublication } from "../broker/history.ts";
import type { ChannelConnection } from "../server/channel_port.ts";
import type { HistoryService } from "./history.ts";
import type { Tap, TopicFeed } from "./topic_feed.ts";

/** Publications read from the store per page. */
export const REPLAY_PAGE = 500;

/** What the recovery needs from its session. */
export interface ReplaySession<D> {
  readonly conn: ChannelConnection<D>;
  readonly history: HistoryService<D>;
  /** Sends the `ok` (members etc. are the session's to add); no position when the store could not say. */
  ok(position: StreamPosition | undefined, recovered: boolean | undefined, reason: RecoveryFailure | undefined): void;
  /** Joins the live subscription (synchronously). */
  join(): void;
  count(stat: "historyReplayed" | "recoveries" | "recoveryFailures", n?: number): void;
  report(err: unknown): void;
}

function frameOf(topic: string, position: StreamPosition, data: string | Uint8Array): string | Uint8Array {
  return typeof data === "string"
    ? controlFrame({ t: "msg", topic, data, epoch: position.epoch, offset: position.offset })
    : positionedPublication(topic, position, data);
}

/**
 * Runs a recovering subscribe to its end, on the topic's feed (held by the
 * session). Resolves with whether the socket joined; the connection
 * closing ends it early, without joining.
 */
export async function recover<D>(session: ReplaySession<D>, topic: string, ask: SubRecovery, feed: TopicFeed): Promise<boolean> {
  const tap = feed.tap();
  try {
    const joined = await run(session, topic, ask, tap);
    // This server may listen to the broker for the topic only from the join on: what was stored since the
    // last read and published before is read from the store (shared stores; see TopicFeed.catchUp), once
    // the broker subscription the join started is in effect (and then FILL_DELAY_MS later).
    if (joined) void session.history.listening(topic).then(() => feed.catchUp());
    return joined;
  } finally {
    feed.untap(tap);
  }
}

/** Returns whether the socket joined (it holds the feed then). */
async function run<D>(session: ReplaySession<D>, topic: string, ask: SubRecovery, tap: Tap): Promise<boolean> {
  const { conn, history } = session;
  const open = () => conn.state === ReadyStates.OPEN;
  const policy = history.policyOf(topic);
  const asked = ask.since !== undefined || ask.last !== undefined;
  if (policy === undefined) {
    // No history here: live only; a client that asked for missed publications is told it cannot have them.
    session.ok(undefined, asked ? false : undefined, asked ? "not recoverable" : undefined);
    if (asked) session.count("recoveryFailures");
    session.join();
    return true;
  }
  let first: HistoryRead | undefined;
  try {
    if (ask.since !== undefined) first = await history.read(topic, { after: ask.since, limit: REPLAY_PAGE });
    else {
      const n = Math.min(ask.last ?? 0, policy.size);
      first = await history.read(topic, { last: n, limit: REPLAY_PAGE });
      // More than a page: start at the oldest of the last n (all of them when the topic has fewer) and page on.
      if (first.ok && n > REPLAY_PAGE && first.publications.length >= REPLAY_PAGE) {
        const from = await oldestOfLast(history, topic, first.epoch, Math.max(0, first.top - n), first.publications[0].offset - 1);
        if (from !== undefined) first = from;
      }
    }
  } catch (err) {
    session.report(err);
  }
  if (!open()) return false;
  if (first === undefined) {
    // The store cannot be read: live from now, and the client knows it missed what it missed.
    session.ok(undefined, asked ? false : undefined, asked ? "store unavailable" : undefined);
    if (asked) session.count("recoveryFailures");
    flushTap(session, topic, tap, undefined);
    session.join();
    return true;
  }
  let cursor: StreamPosition;
  let publications: StoredPublication[] = [];
  let recovered: boolean | undefined;
  let reason: RecoveryFailure | undefined;
  if (!first.ok) {
    cursor = { epoch: first.epoch, offset: first.top };
    recovered = false;
    reason = first.reason;
  } else {
    publications = first.publications;
    cursor = ask.since !== undefined
      ? { epoch: first.epoch, offset: ask.since.offset }
      : { epoch: first.epoch, offset: publications.length > 0 ? publications[0].offset - 1 : first.top };
    if (ask.since !== undefined) recovered = true;
  }
  session.ok(cursor, recovered, reason);
  if (recovered === true) session.count("recoveries");
  else if (recovered === false) session.count("recoveryFailures");
  let more = first.ok && publications.length >= REPLAY_PAGE;
  for (;;) {
    for (const p of publications) {
      if (!open()) return false;
      if (p.offset <= cursor.offset) continue;
      cursor = { epoch: cursor.epoch, offset: p.offset };
      conn.send(frameOf(topic, cursor, p.data));
    }
    session.count("historyReplayed", publications.length);
    if (!more && !tap.overflowed) break;
    // Wait for the client to read before the next page: memory stays a page and a tap.
    await conn.drained();
    if (!open()) return false;
    tap.reset();
    let next: HistoryRead;
    try {
      next = await history.read(topic, { after: cursor, limit: REPLAY_PAGE });
    } catch (err) {
      session.report(err);
      if (!open()) return false;
      lost(session, topic, "store unavailable", cursor);
      break;
    }
    if (!open()) return false;
    if (!next.ok) {
      // Trimmed (or lost) while the replay ran: what lay between is gone; the client is told, live follows.
      cursor = { epoch: next.epoch, offset: next.top };
      lost(session, topic, next.reason, cursor);
      publications = [];
      more = false;
      continue;
    }
    publications = next.publications;
    more = publications.length >= REPLAY_PAGE;
  }
  flushTap(session, topic, tap, cursor);
  session.join();
  return true;
}

/**
 * The first page of the last n publications: those after `low` when they are all still there, else
 * (the oldest of them expired) those after the oldest still kept, found by bisection with reads of one
 * publication between `low` and `high` (whose successors were read already). Undefined when the history
 * moved on meanwhile (another epoch): the caller keeps the newest page.
 */
async function oldestOfLast<D>(
  history: HistoryService<D>,
  topic: string,
  epoch: string,
  low: number,
  high: number,
): Promise<HistoryRead | undefined> {
  const page = (after: number) => history.read(topic, { after: { epoch, offset: after }, limit: REPLAY_PAGE });
  const from = await page(low);
  if (from.ok) return from;
  if (from.epoch !== epoch) return undefined;
  // Invariant: reading after `low` fails, after `high` succeeds (expiry only moves the oldest up).
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    const probe = await history.read(topic, { after: { epoch, offset: mid }, limit: 1 });
    if (probe.epoch !== epoch) return undefined;
    if (probe.ok) high = mid;
    else low = mid;
  }
  const found = await page(high);
  return found.ok ? found : undefined;
}

/** Sends the tapped live publications after `cursor` (all of them without one). */
function flushTap<D>(session: ReplaySession<D>, topic: string, tap: Tap, cursor: StreamPosition | undefined): void {
  for (const p of tap.items) {
    const { position } = p;
    if (p.except === session.conn) continue; // its own publication, published without includeSelf
    if (cursor !== undefined && position.epoch === cursor.epoch && position.offset <= cursor.offset) continue;
    session.conn.send(frameOf(topic, position, p.data));
  }
  tap.items = [];
}

function lost<D>(session: ReplaySession<D>, topic: string, reason: RecoveryFailure, at: StreamPosition): void {
  session.count("recoveryFailures");
  session.conn.send(controlFrame({ t: "lost", topic, reason, epoch: at.epoch, offset: at.offset }));
}
