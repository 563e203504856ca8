/**
 * The runtime-neutral server core of one endpoint: upgrade decisions, the
 * set of live connections, the counters behind `stats`, error reporting
 * and shutdown. An adapter creates one with its {@link AdapterPort} and
 * feeds it engine events; the core imports no adapter and no runtime API.
 * Internal.
 *
 * @module
 */

import { CHANNELS_PROTOCOL } from "../shared/channel_wire.ts";
import { CloseCode } from "../shared/close_codes.ts";
import { InvalidStateError } from "../shared/errors.ts";
import type { PresenceMember } from "../shared/channel_wire.ts";
import { resolveChannels } from "./channel_options.ts";
import { CHANNEL_SERVICE } from "./channel_port.ts";
import type { ChannelService, ChannelServiceFactory } from "./channel_port.ts";
import type { RemoteAddress } from "../shared/types.ts";
import { addressKey, AddressLimits } from "./address_limits.ts";
import type { AddressRefusal } from "./address_limits.ts";
import { BackpressureWatch } from "./backpressure.ts";
import { Connection } from "./connection.ts";
import type { ConnectionHost } from "./connection.ts";
import { resolveServerHeartbeat } from "./heartbeat.ts";
import type { ResolvedServerHeartbeat } from "./heartbeat.ts";
import { CONNECTION_DURATION_BOUNDS, Histogram, MessageSizeHistogram } from "./histogram.ts";
import { KeepAliveSweep } from "./keepalive.ts";
import { formatMetrics, metricsTopics } from "./metrics.ts";
import type { MetricsOptions } from "./metrics.ts";
import { Lingering } from "./lingering.ts";
import { resolveLimits } from "./options.ts";
import type { ResolvedLimits, UpgradeAccept, WebSocketOptions } from "./options.ts";
import { checkOrigin } from "./origins.ts";
import { TopicHub } from "./pubsub.ts";
import { checkShutdownOptions } from "./shutdown.ts";
import type { ShutdownOptions } from "./shutdown.ts";
import type { Socket } from "./socket.ts";
import { newCounters } from "./stats.ts";
import type { Counters, ServerStats, Stat } from "./stats.ts";
import type { AdapterCapabilities, AdapterPort, Transport } from "./transport.ts";
import { checkHandshake, chooseProtocol, isWebSocketUpgrade, parseProtocols } from "./upgrade.ts";

/** An accepted upgrade, ready for the adapter to hand to its engine. */
export interface AcceptedUpgrade<D> {
  data: D;
  protocol: string;
  /** Extra 101 headers from the `upgrade` hook, already checked to be valid HTTP headers. */
  headers: Record<string, string>;
  remote: RemoteAddress;
}

function refuse(status: number, body: string): Response {
  return new Response(body + "\n", { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/**
 * The answer to an upgrade the engine refused although the handshake
 * checks passed (Bun's `server.upgrade()` returned false, Deno's
 * `upgradeWebSocket()` threw, e.g. for a request already upgraded): the
 * same 400 on both runtimes. The adapter gives the slot back first.
 */
export function engineRefusedUpgrade(): Response {
  return refuse(400, "WebSocket upgrade failed");
}

/**
 * The answer to an upgrade that failed because of a bug on the server's
 * side (a throwing hook, invalid headers, a throw in the adapter): 500, and
 * the error goes to the `error` handler. The adapter gives the slot back first.
 */
export function serverFailedUpgrade(): Response {
  return refuse(500, "upgrade refused: internal error");
}

/** Checks the hook's extra headers with the Headers class both engines use, so a bad one is the hook's error. */
function checkedHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  if (headers === undefined) return {};
  try {
    new Headers(headers);
  } catch (err) {
    throw new TypeError(`the upgrade hook returned headers that are not valid HTTP headers: ${(err as Error).message}`, { cause: err });
  }
  return headers;
}

/** Shared state and logic of one WebSocket endpoint. */
export class ServerCore<D = unknown, T extends Transport = Transport> implements ConnectionHost<D, T> {
  readonly handlers: WebSocketOptions<D>;
  readonly limits: ResolvedLimits;
  readonly capabilities: AdapterCapabilities;
  /** Texts of the client heartbeat the connections answer, or undefined when off. */
  readonly heartbeat: ResolvedServerHeartbeat | undefined;
  /** Topic subscriptions and publishing (the adapter's fan-out engine, plus the broker). */
  readonly topics: TopicHub<T>;
  readonly backpressure: BackpressureWatch<Connection<D, T>>;
  /** The channels layer, or undefined when the `channels` option is not set. */
  readonly channels: ChannelService<D> | undefined;
  /** The protocols to agree to, in order: channels first when on. */
  readonly #protocols: readonly string[];
  /** Open connections, each with the performance.now() it opened at (for the duration histogram). */
  readonly #connections: Map<Connection<D, T>, number> = new Map();
  /** The open connections, as an iterable the keep-alive sweep can read at every round. */
  readonly #openConnections: Iterable<Connection<D, T>> = { [Symbol.iterator]: () => this.#connections.keys() };
  /** The stall check (both runtimes) and, where the engine's idle timeout cannot be trusted (Bun), the pings. */
  readonly #keepAlive: KeepAliveSweep | undefined;
  /** Per-address connection cap and upgrade rate (address_limits.ts), when configured. */
  readonly #addresses: AddressLimits | undefined;
  /** Closed connections the engine still holds (lingering.ts). */
  readonly #lingering: Lingering<Connection<D, T>>;
  #closing = false;
  #allClosed: (() => void) | undefined;
  /** Upgrades accepted (or still in the `upgrade` hook) whose connection is not open yet. */
  #pending = 0;
  /** Counters behind `stats`: every one is counted here, through count(). */
  readonly #counters: Counters = newCounters();
  /** Sizes of received messages: fed by Connection.received, once per message. */
  readonly messageSizes: MessageSizeHistogram = new MessageSizeHistogram();
  /** Durations of closed connections in seconds: fed by untrack(). */
  readonly #durations: Histogram = new Histogram(CONNECTION_DURATION_BOUNDS);

  constructor(options: WebSocketOptions<D>, port: AdapterPort<T>) {
    this.handlers = options;
    this.limits = resolveLimits(options);
    this.capabilities = port.capabilities;
    this.heartbeat = resolveServerHeartbeat(options.heartbeat);
    this.backpressure = new BackpressureWatch(this.limits.lowWaterMark);
    const channels = resolveChannels(options.channels);
    const factory = (options as { [CHANNEL_SERVICE]?: ChannelServiceFactory })[CHANNEL_SERVICE];
    if (channels !== undefined && factory === undefined) {
      throw new TypeError("channels: this endpoint was built without the channels layer (use serve() or createHandler())");
    }
    this.topics = new TopicHub<T>(port.topics, options.broker, (err) => this.reportError(undefined, err), channels !== undefined);
    this.channels = channels === undefined ? undefined : factory!<D>({
      options: channels,
      broker: options.broker,
      publish: (topic, data) => this.topics.publish(topic, data, undefined),
      topics: this.topics,
      report: (socket, err) => this.reportError(socket, err),
      count: (stat, n) => this.count(stat, n),
    });
    this.#protocols = channels === undefined ? this.limits.protocols : [CHANNELS_PROTOCOL, ...this.limits.protocols];
    const idle = this.limits.idleTimeout;
    this.#keepAlive = idle === 0 ? undefined : new KeepAliveSweep(idle, this.#openConnections, !port.capabilities.nativeIdleTimeout);
    const { maxConnectionsPerAddress, upgradeRateLimit } = this.limits;
    if (maxConnectionsPerAddress !== Infinity || upgradeRateLimit !== undefined) {
      this.#addresses = new AddressLimits(maxConnectionsPerAddress, upgradeRateLimit, () => performance.now());
    }
    this.#lingering = new Lingering<Connection<D, T>>((conn) => this.#releaseAddress(conn.socket.remoteAddress));
  }

  /** Open connections now. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** A snapshot of the counters. */
  get stats(): ServerStats {
    const history = this.channels?.historyUsage() ?? { publications: 0, bytes: 0 };
    return {
      connections: this.#connections.size,
      pendingUpgrades: this.#pending,
      lingering: this.#lingering.size,
      historyPublications: history.publications,
      historyBytes: history.bytes,
      ...this.#counters,
    };
  }

  /**
   * The endpoint's figures in the Prometheus text format (metrics.ts). The
   * costs are here, at scrape time: one pass over the open connections
   * (queued bytes) and one over all subscriptions (per-topic counts).
   */
  metrics(options?: MetricsOptions): string {
    const topicLimit = metricsTopics(options);
    let queuedBytes = 0;
    for (const conn of this.#connections.keys()) queuedBytes += conn.bufferedAmount();
    return formatMetrics({
      stats: this.stats,
      queuedBytes,
      topics: this.topics.subscribersPerTopic(),
      messageSizes: this.messageSizes.snapshot(),
      connectionDurations: this.#durations.snapshot(),
    }, topicLimit);
  }

  /** Counts one event in `stats`. */
  count(stat: Stat, n = 1): void {
    this.#counters[stat] += n;
  }

  /** An upgrade that took a maxConnections slot is over (opened, failed or refused). */
  upgradeEnded(): void {
    if (this.#pending > 0) this.#pending--;
  }

  /** True once shutdown() has started: new upgrades get 503. */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Decides an upgrade: handshake checks, then the user's hook. Returns the
   * accepted upgrade (holding a maxConnections slot until its connection
   * opens, or the adapter calls upgradeAborted()), or a Response that refuses it.
   */
  async prepareUpgrade(req: Request, remote: RemoteAddress): Promise<AcceptedUpgrade<D> | Response> {
    if (!isWebSocketUpgrade(req)) {
      return new Response("this endpoint only speaks WebSocket\n", {
        status: 426,
        headers: { upgrade: "websocket", "sec-websocket-version": "13" },
      });
    }
    const bad = checkHandshake(req);
    if (bad !== undefined) return bad;
    if (this.#closing) return new Response("server is shutting down\n", { status: 503, headers: { "retry-after": "5" } });
    const badOrigin = checkOrigin(req, this.limits.origins);
    if (badOrigin !== undefined) {
      this.count("refusedOrigin");
      return badOrigin;
    }
    // Upgrades still in progress count too, so a burst cannot overshoot the limit.
    // Lingering ones too (Deno): the engine still holds them.
    if (this.#connections.size + this.#pending + this.#lingering.size >= this.limits.maxConnections) {
      this.count("refusedMaxConnections");
      return new Response("too many connections\n", { status: 503, headers: { "retry-after": "1" } });
    }
    const refused = this.#addresses?.admit(addressKey(remote.address));
    if (refused !== undefined) return this.#refuseAddress(refused);
    this.#pending++;
    const decision = await this.#decideUpgrade(req, remote);
    if (decision instanceof Response) this.upgradeAborted(remote);
    return decision;
  }

  /**
   * An upgrade admitted by prepareUpgrade will not become a connection (the
   * hook refused it, or the engine did): gives back its maxConnections and
   * per-address slots. The adapter calls this, once, instead of upgradeEnded.
   */
  upgradeAborted(remote: RemoteAddress): void {
    this.upgradeEnded();
    this.#releaseAddress(remote);
  }

  #releaseAddress(remote: RemoteAddress): void {
    this.#addresses?.release(addressKey(remote.address));
  }

  #refuseAddress(refused: AddressRefusal): Response {
    const rate = refused.reason === "rate";
    this.count(rate ? "refusedUpgradeRate" : "refusedPerAddress");
    const body = rate ? "too many upgrades from this address" : "too many connections from this address";
    return new Response(body + "\n", { status: 429, headers: { "retry-after": String(refused.retryAfter) } });
  }

  async #decideUpgrade(req: Request, remote: RemoteAddress): Promise<AcceptedUpgrade<D> | Response> {
    const offered = parseProtocols(req.headers.get("sec-websocket-protocol"));
    // Everything the hook's answer can make fail is in here: a server-side bug is a 500 that reaches `error`.
    try {
      let accept: UpgradeAccept<D> = {};
      const hook = this.handlers.upgrade;
      if (hook !== undefined) {
        const result = await hook(req, { remoteAddress: remote, protocols: offered, url: new URL(req.url) });
        if (result instanceof Response) return result;
        if (result !== undefined && result !== null) accept = result;
      }
      const protocol = chooseProtocol(offered, this.#protocols, accept.protocol);
      return { data: accept.data as D, protocol, headers: checkedHeaders(accept.headers), remote };
    } catch (err) {
      this.reportError(undefined, err);
      return serverFailedUpgrade();
    }
  }

  /** Creates the connection for an upgraded native socket. */
  connection(transport: T, accepted: AcceptedUpgrade<D>): Connection<D, T> {
    return new Connection<D, T>(this, transport, accepted.data, accepted.remote, accepted.protocol);
  }

  track(conn: Connection<D, T>): void {
    this.#connections.set(conn, performance.now());
    this.#keepAlive?.start();
  }

  untrack(conn: Connection<D, T>): void {
    const openedAt = this.#connections.get(conn); // undefined if it never opened
    if (openedAt !== undefined && this.#connections.delete(conn)) this.#durations.observe((performance.now() - openedAt) / 1000);
    // A lingering connection keeps its per-address slot until the engine lets it go.
    if (!this.#lingering.has(conn)) this.#releaseAddress(conn.socket.remoteAddress);
    if (this.#connections.size === 0) {
      this.#keepAlive?.stop();
      this.#allClosed?.();
    }
  }

  /** The members of `topic` (`server.presence()`): needs `channels.presence`. */
  presence(topic: string): PresenceMember[] {
    if (this.channels === undefined) throw new InvalidStateError("presence() needs the channels option with channels.presence");
    return this.channels.members(topic);
  }

  startLingering(conn: Connection<D, T>): void {
    this.#lingering.start(conn);
  }

  endLingering(conn: Connection<D, T>): void {
    this.#lingering.end(conn);
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
    if (this.#connections.size > 0) {
      const done = new Promise<void>((resolve) => (this.#allClosed = resolve));
      for (const conn of [...this.#connections.keys()]) conn.closeInternal(code, reason);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeout)))]);
      clearTimeout(timer);
      for (const conn of [...this.#connections.keys()]) conn.forceClosed(CloseCode.Abnormal, "shutdown timed out");
    }
    this.#keepAlive?.stop();
    if (this.channels !== undefined) {
      try {
        await this.channels.close();
      } catch (err) {
        this.reportError(undefined, err);
      }
    }
    await this.topics.close();
  }
}
