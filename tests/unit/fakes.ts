/**
 * In-memory stand-ins for the unit tests of the server core: a transport
 * that records what the core asked of it, and a ConnectionHost built from
 * the real parts (limits, heartbeat, backpressure watch, topic hub) that
 * records errors and counts. No network, no runtime API.
 */

import { BackpressureWatch } from "../../src/server/backpressure.ts";
import { Connection } from "../../src/server/connection.ts";
import type { ConnectionHost } from "../../src/server/connection.ts";
import { resolveServerHeartbeat } from "../../src/server/heartbeat.ts";
import { MessageSizeHistogram } from "../../src/server/histogram.ts";
import { resolveLimits } from "../../src/server/options.ts";
import type { WebSocketOptions } from "../../src/server/options.ts";
import { TopicHub } from "../../src/server/pubsub.ts";
import type { Socket } from "../../src/server/socket.ts";
import type { Stat } from "../../src/server/stats.ts";
import { InProcessTopics } from "../../src/server/topics.ts";
import type { Transport } from "../../src/server/transport.ts";
import type { CloseInfo, SendResult } from "../../src/shared/types.ts";

/** A transport that records every call; tests set what the engine answers. */
export class FakeTransport implements Transport {
  sent: (string | Uint8Array)[] = [];
  closes: { code: number; reason: string }[] = [];
  terminates = 0;
  pings = 0;
  bufferedAmount = 0;
  /** Tests move it to say the engine wrote some of the queued data (the stall sweep reads it). */
  writeProgress = 0;
  /** What send() answers (default "sent"). */
  sendResult: SendResult = "sent";
  /** Whether terminate()/ping() are possible (Bun: yes; Deno: no). */
  canTerminate = true;
  canPing = true;
  /** Called from inside close()/terminate(), as Bun reports a close synchronously. */
  onClose: ((code: number, reason: string) => void) | undefined;
  onTerminate: (() => void) | undefined;
  /** Makes send() throw (an engine error escaping into the core). */
  sendThrows: Error | undefined;

  send(data: string | Uint8Array): SendResult {
    if (this.sendThrows !== undefined) throw this.sendThrows;
    this.sent.push(data);
    return this.sendResult;
  }
  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
    this.onClose?.(code, reason);
  }
  terminate(): boolean {
    this.terminates++;
    if (this.canTerminate) this.onTerminate?.();
    return this.canTerminate;
  }
  ping(): boolean {
    if (this.canPing) this.pings++;
    return this.canPing;
  }
}

/** A host made of the core's real parts, recording what connections report. */
export interface FakeHost extends ConnectionHost<unknown, FakeTransport> {
  errors: { socket: Socket<unknown> | undefined; error: unknown }[];
  counts: Partial<Record<Stat, number>>;
  tracked: Set<Connection<unknown, FakeTransport>>;
  upgradesEnded: number;
  /** Connections the engine could not drop (startLingering), until endLingering. */
  lingering: Set<Connection<unknown, FakeTransport>>;
  /** `close` handler calls, in order. */
  closes: { socket: Socket<unknown>; info: CloseInfo }[];
}

/** Builds a host for `options` (handlers + limits), as ServerCore would resolve them. */
export function fakeHost(options: WebSocketOptions<unknown> = {}, nativeMaxMessageBytes = false): FakeHost {
  const limits = resolveLimits(options);
  const errors: FakeHost["errors"] = [];
  const closes: FakeHost["closes"] = [];
  const close = options.close;
  const host: FakeHost = {
    limits,
    capabilities: { nativeMaxMessageBytes },
    handlers: {
      ...options,
      close(socket, info) {
        closes.push({ socket, info });
        return close?.(socket, info);
      },
    },
    heartbeat: resolveServerHeartbeat(options.heartbeat),
    backpressure: new BackpressureWatch(limits.lowWaterMark),
    messageSizes: new MessageSizeHistogram(),
    topics: new TopicHub(new InProcessTopics<FakeTransport>(), options.broker, (err) => errors.push({ socket: undefined, error: err })),
    errors,
    closes,
    counts: {},
    tracked: new Set(),
    upgradesEnded: 0,
    lingering: new Set(),
    reportError(socket, error) {
      errors.push({ socket, error });
    },
    count(stat) {
      host.counts[stat] = (host.counts[stat] ?? 0) + 1;
    },
    upgradeEnded() {
      host.upgradesEnded++;
    },
    track(conn) {
      host.tracked.add(conn);
    },
    untrack(conn) {
      host.tracked.delete(conn);
    },
    startLingering(conn) {
      host.lingering.add(conn);
    },
    endLingering(conn) {
      host.lingering.delete(conn);
    },
  };
  return host;
}

/** A connection on a fake transport; open unless `open: false`. Bun-like: the engine reports closes at once. */
export function fakeConnection(
  host: FakeHost,
  options: { open?: boolean; echoClose?: boolean; data?: unknown } = {},
): { conn: Connection<unknown, FakeTransport>; transport: FakeTransport } {
  const transport = new FakeTransport();
  const conn = new Connection<unknown, FakeTransport>(host, transport, options.data, { address: "127.0.0.1", port: 1 }, "");
  if (options.echoClose === true) transport.onClose = (code, reason) => conn.closed(code, reason);
  transport.onTerminate = () => conn.closed(1006, "");
  if (options.open !== false) conn.opened();
  return { conn, transport };
}

/** Resolves after `ms` milliseconds (real timers: the core's own). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits (polling every 2 ms, at most `ms`) until `check()` is true. */
export async function waitUntil(check: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}
