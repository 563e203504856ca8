/**
 * The runtime-neutral server core: upgrade decisions, the set of live
 * connections, keep-alive sweeps, error reporting and shutdown. Adapters
 * create one per endpoint and feed it engine events. Internal.
 *
 * @module
 */

import { CloseCode } from "../shared/close_codes.ts";
import { Connection } from "./connection.ts";
import type { ResolvedLimits, UpgradeAccept, WebSocketOptions } from "./options.ts";
import type { RemoteAddress } from "../shared/types.ts";
import { resolveLimits } from "./options.ts";
import type { AdapterCapabilities, Transport } from "./transport.ts";
import { checkHandshake, chooseProtocol, isWebSocketUpgrade, parseProtocols } from "./upgrade.ts";
import type { Socket } from "./socket.ts";
import { Backpressure } from "./backpressure.ts";
import { checkOrigin } from "./origins.ts";
import { newCounters } from "./stats.ts";
import type { Counters, ServerStats } from "./stats.ts";
import { checkShutdownOptions } from "./shutdown.ts";
import { TopicHub } from "./pubsub.ts";
import { resolveServerHeartbeat } from "./heartbeat.ts";
import type { ResolvedServerHeartbeat } from "./heartbeat.ts";
import { AddressLimits, addressKey } from "./address_limits.ts";
import type { AddressRefusal } from "./address_limits.ts";
import { Lingering } from "./lingering.ts";
import { WriteStalls } from "./write_stall.ts";

/** An accepted upgrade, ready for the adapter to hand to its engine. */
export interface AcceptedUpgrade<D> {
  data: D;
  protocol: string;
  headers: Record<string, string>;
  remote: RemoteAddress;
}

/**
 * Options of a graceful shutdown.
 *
 * @example
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * import type { ShutdownOptions } from "@fullduplex/fullduplex";
 * const server = serve({ port: 0 });
 * const options: ShutdownOptions = { code: 1012, reason: "restarting", timeout: 3000 };
 * await server.shutdown(options);
 * ```
 */
export interface ShutdownOptions {
  /** Close code sent to every peer: 1000, 1001, 1012 or 3000–4999, else RangeError. Default 1001 (going away). */
  code?: number;
  /** Close reason sent to every peer (at most 123 UTF-8 bytes). Default "server shutting down". */
  reason?: string;
  /** Milliseconds to wait for peers to answer before dropping them. Default 5000. */
  timeout?: number;
}

function refuse(status: number, body: string): Response {
  return new Response(body + "\n", { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/** Shared state and logic of one WebSocket endpoint. */
export class ServerCore<D = unknown> {
  readonly handlers: WebSocketOptions<D>;
  readonly limits: ResolvedLimits;
  readonly caps: AdapterCapabilities;
  /** Texts of the client heartbeat the connections answer, or undefined when off. */
  readonly heartbeat: ResolvedServerHeartbeat | undefined;
  readonly connections: Set<Connection<D>> = new Set();
  /** Topic subscriptions and publishing (native on Bun, in-process on Deno, plus the broker). */
  readonly topics: TopicHub<D>;
  #sweep: ReturnType<typeof setInterval> | undefined;
  #closing = false;
  #allClosed: (() => void) | undefined;
  /** Upgrades accepted (or still in the `upgrade` hook) whose connection is not open yet. */
  #pending = 0;
  /** Counters behind `stats`. */
  readonly counters: Counters = newCounters();
  readonly backpressure: Backpressure<D>;
  /** Per-address connection cap and upgrade rate (address_limits.ts), when configured. */
  readonly #addresses: AddressLimits | undefined;
  /** Closed connections the engine still holds (lingering.ts). */
  readonly lingering: Lingering<Connection<D>>;
  readonly #stalls = new WriteStalls<Connection<D>>();

  constructor(options: WebSocketOptions<D>, caps: AdapterCapabilities) {
    this.handlers = options;
    this.limits = resolveLimits(options);
    this.caps = caps;
    this.heartbeat = resolveServerHeartbeat(options.heartbeat);
    this.backpressure = new Backpressure<D>(this);
    this.topics = new TopicHub<D>(caps.runtime, options.broker, (err) => this.reportError(undefined, err));
    const { maxConnectionsPerAddress, upgradeRateLimit } = this.limits;
    if (maxConnectionsPerAddress !== Infinity || upgradeRateLimit !== undefined) {
      this.#addresses = new AddressLimits(maxConnectionsPerAddress, upgradeRateLimit, () => performance.now());
    }
    this.lingering = new Lingering<Connection<D>>((conn) => this.#releaseAddress(conn.socket.remoteAddress));
  }

  /** A snapshot of the counters. */
  get stats(): ServerStats {
    return { connections: this.connections.size, pendingUpgrades: this.#pending, lingering: this.lingering.size, ...this.counters };
  }

  /** An upgrade that took a maxConnections slot is over (opened, failed or refused). */
  upgradeEnded(): void {
    if (this.#pending > 0) this.#pending--;
  }

  /** A message over `rateLimit` arrived on `conn`. */
  rateLimited(conn: Connection<D>): void {
    if (this.limits.rateLimit!.action === "drop") {
      this.counters.rateLimitedMessages++;
      return;
    }
    this.counters.rateLimitCloses++;
    conn.closeInternal(CloseCode.PolicyViolation, "rate limit exceeded");
  }

  /** `conn`'s outgoing buffer fell to lowWaterMark or below (called once per crossing). */
  drained(conn: Connection<D>): void {
    this.counters.drains++;
    conn.wakeDrainWaiters();
    const handler = this.handlers.drain;
    if (handler !== undefined && conn.state === 1) conn.guard(() => handler(conn.socket));
  }

  /** True once shutdown() has started: new upgrades get 503. */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Decides an upgrade: handshake checks, then the user's hook. Returns the
   * accepted upgrade, or a Response that refuses it.
   */
  async prepareUpgrade(req: Request, remote: RemoteAddress): Promise<AcceptedUpgrade<D> | Response> {
    if (!isWebSocketUpgrade(req)) {
      return new Response("this endpoint only speaks WebSocket\n", { status: 426, headers: { upgrade: "websocket", "sec-websocket-version": "13" } });
    }
    const bad = checkHandshake(req);
    if (bad !== undefined) return bad;
    if (this.#closing) return new Response("server is shutting down\n", { status: 503, headers: { "retry-after": "5" } });
    const badOrigin = checkOrigin(req, this.limits.origins);
    if (badOrigin !== undefined) {
      this.counters.refusedOrigin++;
      return badOrigin;
    }
    // Upgrades still in progress count too, so a burst cannot overshoot the limit.
    if (this.connections.size + this.#pending + this.lingering.size >= this.limits.maxConnections) {
      this.counters.refusedMaxConnections++;
      return new Response("too many connections\n", { status: 503, headers: { "retry-after": "1" } });
    }
    const refused = this.#addresses?.admit(addressKey(remote.address));
    if (refused !== undefined) return this.#refuseAddress(refused);
    this.#pending++;
    const decision = await this.#decideUpgrade(req, remote);
    if (decision instanceof Response) this.upgradeAborted(remote);
    return decision;
  }

  /** An upgrade admitted by prepareUpgrade will not become a connection: give back its slots. */
  upgradeAborted(remote: RemoteAddress): void {
    this.upgradeEnded();
    this.#releaseAddress(remote);
  }

  #releaseAddress(remote: RemoteAddress): void {
    this.#addresses?.release(addressKey(remote.address));
  }

  #refuseAddress(refused: AddressRefusal): Response {
    if (refused.reason === "rate") this.counters.refusedUpgradeRate++;
    else this.counters.refusedPerAddress++;
    const body = refused.reason === "rate" ? "too many upgrades from this address" : "too many connections from this address";
    return new Response(body + "\n", { status: 429, headers: { "retry-after": String(refused.retryAfter) } });
  }

  async #decideUpgrade(req: Request, remote: RemoteAddress): Promise<AcceptedUpgrade<D> | Response> {
    const offered = parseProtocols(req.headers.get("sec-websocket-protocol"));
    let accept: UpgradeAccept<D> = {};
    const hook = this.handlers.upgrade;
    if (hook !== undefined) {
      try {
        const result = await hook(req, { remoteAddress: remote, protocols: offered, url: new URL(req.url) });
        if (result instanceof Response) return result;
        if (result !== undefined && result !== null) accept = result;
      } catch (err) {
        this.reportError(undefined, err);
        return refuse(500, "upgrade refused: internal error");
      }
    }
    let protocol: string;
    try {
      protocol = chooseProtocol(offered, this.limits.protocols, accept.protocol);
    } catch (err) {
      this.reportError(undefined, err);
      return refuse(500, "upgrade refused: internal error");
    }
    return { data: accept.data as D, protocol, headers: accept.headers ?? {}, remote };
  }

  /** Creates the connection for an upgraded native socket. */
  connection(transport: Transport, accepted: AcceptedUpgrade<D>): Connection<D> {
    return new Connection<D>(this, transport, accepted.data, accepted.remote, accepted.protocol);
  }

  track(conn: Connection<D>): void {
    this.connections.add(conn);
    if (this.#sweep === undefined && this.limits.idleTimeout > 0) this.#startSweep();
  }

  untrack(conn: Connection<D>): void {
    this.connections.delete(conn);
    // A lingering connection keeps its per-address slot until the engine lets it go.
    if (!this.lingering.has(conn)) this.#releaseAddress(conn.socket.remoteAddress);
    if (this.connections.size === 0) {
      this.#stopSweep();
      this.#allClosed?.();
    }
  }

  /**
   * Keep-alive where the engine's own cannot be trusted (Bun keeps a peer
   * that never answers pings alive while the server sends to it,
   * oven-sh/bun#39255): every half idleTimeout, a peer that sent nothing is
   * pinged; one silent for two sweeps in a row is dropped (close sees 1006).
   * On both runtimes, a peer whose queued data has not moved for two sweeps
   * reads nothing and is dropped too (write_stall.ts: no ping can reach it,
   * and Deno's own idle timeout then never fires).
   */
  #startSweep(): void {
    const every = (this.limits.idleTimeout * 1000) / 2;
    const native = this.caps.nativeIdleTimeout;
    this.#sweep = setInterval(() => {
      for (const conn of this.connections) {
        if (this.#stalls.stalled(conn)) {
          this.counters.idleTimeouts++;
          conn.terminate();
          continue;
        }
        if (native) continue;
        if (conn.active) {
          conn.active = false;
          conn.idleSweeps = 0;
          continue;
        }
        conn.idleSweeps++;
        if (conn.idleSweeps >= 2) {
          this.counters.idleTimeouts++;
          conn.terminate();
        } else if (conn.transport.ping()) this.counters.pingsSent++;
      }
    }, every);
  }

  #stopSweep(): void {
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  /** Sends an error to the `error` handler, or logs it when there is none. */
  reportError(socket: Socket<D> | undefined, err: unknown): void {
    const handler = this.handlers.error;
    if (handler === undefined) {
      console.error("fullduplex: a handler threw:", err);
      return;
    }
    try {
      handler(socket, err);
    } catch (again) {
      console.error("fullduplex: the error handler threw:", again, "while handling:", err);
    }
  }

  /**
   * Graceful shutdown of the WebSocket side: refuse new upgrades, send a
   * close frame to every peer, wait up to `timeout` ms for them to answer,
   * then drop what is left. Resolves when every `close` handler has run.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    // Checked before anything happens, so a bad call throws and changes nothing.
    const { code, reason, timeout } = checkShutdownOptions(options);
    return this.#shutdown(code, reason, timeout);
  }

  async #shutdown(code: number, reason: string, timeout: number): Promise<void> {
    this.#closing = true;
    if (this.connections.size > 0) {
      const done = new Promise<void>((resolve) => (this.#allClosed = resolve));
      for (const conn of [...this.connections]) conn.closeInternal(code, reason);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeout)))]);
      clearTimeout(timer);
      for (const conn of [...this.connections]) conn.forceClosed(CloseCode.Abnormal, "shutdown timed out");
    }
    this.#stopSweep();
    await this.topics.close();
  }
}
