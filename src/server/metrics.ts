/**
 * `server.metrics()` and `endpoint.metrics()`: a server's figures in the
 * Prometheus text exposition format, version 0.0.4 (`# HELP` and `# TYPE`
 * lines, counters ending in `_total`, seconds and bytes). The core gathers
 * a {@link MetricsSnapshot} (core.ts); this file only turns it into text.
 *
 * @module
 */

import type { HistogramSnapshot } from "./histogram.ts";
import type { ServerStats, Stat } from "./stats.ts";

/**
 * Options of `server.metrics()` and `endpoint.metrics()`.
 *
 * @example Report the 25 busiest topics instead of 10
 * ```ts
 * import { serve } from "@fullduplex/fullduplex";
 * const server = serve({ port: 0, open: (socket) => socket.subscribe("news") });
 * console.log(server.metrics({ topics: 25 }));
 * ```
 */
export interface MetricsOptions {
  /**
   * How many topics get their own `fullduplex_topic_subscribers{topic="…"}`
   * series: the ones with the most subscribers on this server (ties by
   * name). The subscribers of all other topics are summed in
   * `fullduplex_other_topics_subscribers`, so the number of series stays
   * bounded however many topics the application makes. An integer ≥ 0.
   * Default {@link DEFAULT_METRICS_TOPICS} (10).
   */
  topics?: number;
}

/**
 * The default of {@link MetricsOptions.topics}: topics with their own series.
 *
 * @example
 * ```ts
 * import { DEFAULT_METRICS_TOPICS } from "./metrics.ts";
 * console.log(`metrics() lists the ${DEFAULT_METRICS_TOPICS} busiest topics`);
 * ```
 */
export const DEFAULT_METRICS_TOPICS = 10;

/** What the core hands over to be formatted (everything read in one go). */
export interface MetricsSnapshot {
  readonly stats: ServerStats;
  /** Bytes queued for peers (`bufferedAmount`), summed over open connections. */
  readonly queuedBytes: number;
  /** Local subscribers per topic (topics without subscribers absent). */
  readonly topics: ReadonlyMap<string, number>;
  /** Sizes of received messages, in bytes. */
  readonly messageSizes: HistogramSnapshot;
  /** Durations of closed connections, in seconds. */
  readonly connectionDurations: HistogramSnapshot;
}

/** Every `stats` counter, its metric name and help. A Record: a new counter does not compile until it is listed. */
const COUNTERS: Record<Stat, readonly [name: string, help: string]> = {
  refusedMaxConnections: ["fullduplex_refused_max_connections_total", "Upgrades refused with 503 because of maxConnections."],
  refusedOrigin: ["fullduplex_refused_origin_total", "Upgrades refused with 403 because of origins."],
  refusedPerAddress: ["fullduplex_refused_per_address_total", "Upgrades refused with 429 because of maxConnectionsPerAddress."],
  refusedUpgradeRate: ["fullduplex_refused_upgrade_rate_total", "Upgrades refused with 429 because of upgradeRateLimit."],
  rateLimitedMessages: ["fullduplex_rate_limited_messages_total", 'Messages discarded by rateLimit with action "drop".'],
  rateLimitCloses: ["fullduplex_rate_limit_closes_total", 'Connections closed (1008) by rateLimit with action "close".'],
  pingsSent: ["fullduplex_pings_sent_total", "Keep-alive pings fullduplex sent (Bun; Deno's engine pings by itself)."],
  idleTimeouts: ["fullduplex_idle_timeouts_total", "Connections ended because the peer was silent for idleTimeout."],
  closeTimeouts: ["fullduplex_close_timeouts_total", "Close handshakes the peer did not answer within closeTimeout."],
  backpressureDrops: ["fullduplex_backpressure_drops_total", "Sends refused because the peer's buffer was at backpressureLimit."],
  backpressureCloses: ["fullduplex_backpressure_closes_total", "Connections closed (1008) because of backpressureLimit."],
  backpressureFloodCloses: [
    "fullduplex_backpressure_flood_closes_total",
    "Connections closed (1008) for sending past maxMessagesWhileBackpressured while their sends were refused.",
  ],
  drains: ["fullduplex_drains_total", "Times an outgoing buffer fell to lowWaterMark or below."],
  channelDenied: ["fullduplex_channel_denied_total", "Channel subscribes and publishes denied (authorize or a channel limit)."],
  channelMalformed: ["fullduplex_channel_malformed_total", "Malformed channel frames (answered with an error control message)."],
  channelRateLimited: ["fullduplex_channel_rate_limited_total", "Channel control messages denied by channels.controlRate."],
  historyAppends: ["fullduplex_history_appends_total", "Publications kept in history (channels.history)."],
  historyStoreErrors: ["fullduplex_history_store_errors_total", "History store operations that failed."],
  historyReplayed: ["fullduplex_history_replayed_total", "Publications sent from history to recovering clients."],
  recoveries: ["fullduplex_recoveries_total", "Recoveries that gave the client everything it missed."],
  recoveryFailures: ["fullduplex_recovery_failures_total", "Recoveries that could not give the client everything it missed."],
};

/** Checks `metrics()`'s options before anything is read. */
export function metricsTopics(options: MetricsOptions | undefined): number {
  const n = options?.topics ?? DEFAULT_METRICS_TOPICS;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    throw new RangeError(`metrics(): topics must be an integer ≥ 0, got ${String(n)}`);
  }
  return n;
}

/** `# HELP` text: backslash and line feed escaped (format 0.0.4). */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A label value: backslash, double quote and line feed escaped (format 0.0.4). */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A sample value or bound as Prometheus reads it (Go's ParseFloat syntax). */
function num(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return Number.isNaN(value) ? "NaN" : String(value);
}

/** Collects the lines of the exposition. */
class Exposition {
  readonly lines: string[] = [];

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): void {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  sample(name: string, value: number, labels = ""): void {
    this.lines.push(`${name}${labels} ${num(value)}`);
  }

  gauge(name: string, help: string, value: number): void {
    this.family(name, "gauge", help);
    this.sample(name, value);
  }

  histogram(name: string, help: string, h: HistogramSnapshot): void {
    this.family(name, "histogram", help);
    let cumulative = 0;
    for (let i = 0; i < h.bounds.length; i++) {
      cumulative += h.counts[i];
      this.sample(`${name}_bucket`, cumulative, `{le="${num(h.bounds[i])}"}`);
    }
    this.sample(`${name}_bucket`, h.count, '{le="+Inf"}');
    this.sample(`${name}_sum`, h.sum);
    this.sample(`${name}_count`, h.count);
  }

  text(): string {
    // The format wants a line feed after the last line too.
    return this.lines.join("\n") + "\n";
  }
}

/** The `limit` topics with the most subscribers (ties by name), and the rest summed. */
function busiestTopics(topics: ReadonlyMap<string, number>, limit: number): { top: [string, number][]; other: number } {
  const all = [...topics];
  all.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let other = 0;
  for (let i = limit; i < all.length; i++) other += all[i][1];
  return { top: all.slice(0, limit), other };
}

/** Formats a snapshot as Prometheus text (format 0.0.4), at most `topicLimit` topic series. */
export function formatMetrics(s: MetricsSnapshot, topicLimit: number): string {
  const out = new Exposition();
  out.gauge("fullduplex_connections", "Open WebSocket connections.", s.stats.connections);
  out.gauge(
    "fullduplex_pending_upgrades",
    "Upgrades accepted but not open yet (they count towards maxConnections).",
    s.stats.pendingUpgrades,
  );
  out.gauge(
    "fullduplex_lingering",
    "Connections closed on the library's side whose TCP connection the engine still holds (Deno).",
    s.stats.lingering,
  );
  out.gauge(
    "fullduplex_history_publications",
    "Publications the history store holds in this process's memory.",
    s.stats.historyPublications,
  );
  out.gauge("fullduplex_history_bytes", "Bytes the history store holds in this process's memory.", s.stats.historyBytes);
  out.gauge("fullduplex_queued_bytes", "Bytes queued for peers (bufferedAmount), summed over open connections.", s.queuedBytes);

  let subscriptions = 0;
  for (const n of s.topics.values()) subscriptions += n;
  const { top, other } = busiestTopics(s.topics, topicLimit);
  out.gauge("fullduplex_topics", "Topics with at least one subscriber on this server.", s.topics.size);
  out.gauge("fullduplex_subscriptions", "Topic subscriptions on this server, over all topics.", subscriptions);
  out.family(
    "fullduplex_topic_subscribers",
    "gauge",
    `Subscribers of the ${topicLimit} topics with the most (metrics({ topics }) sets how many); the rest are in ` +
      "fullduplex_other_topics_subscribers.",
  );
  for (const [topic, n] of top) out.sample("fullduplex_topic_subscribers", n, `{topic="${escapeLabel(topic)}"}`);
  out.gauge("fullduplex_other_topics_subscribers", "Subscribers of the topics not in fullduplex_topic_subscribers.", other);

  for (const stat of Object.keys(COUNTERS) as Stat[]) {
    const [name, help] = COUNTERS[stat];
    out.family(name, "counter", help);
    out.sample(name, s.stats[stat]);
  }

  out.histogram(
    "fullduplex_received_message_bytes",
    "Sizes of the messages received and accepted (not rate-limited, not over maxMessageBytes, not heartbeat pings). " +
      "Text counts UTF-16 code units: bytes for ASCII, a lower bound otherwise.",
    s.messageSizes,
  );
  out.histogram("fullduplex_connection_duration_seconds", "Durations of closed connections, open to close.", s.connectionDurations);
  return out.text();
}
