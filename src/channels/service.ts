/**
 * The channels layer of one endpoint (docs/channels.md): it creates a
 * {@link Session} for each connection that agreed to
 * `fullduplex.channels.v1`, owns the presence registry, and sends join and
 * leave events to the sockets that follow a topic's presence. The entry
 * layer plugs it into the core with {@link withChannelLayer}. Internal.
 *
 * @module
 */

import type { PresenceMember } from "../shared/channel_wire.ts";
import { InvalidStateError } from "../shared/errors.ts";
import { CHANNEL_SERVICE } from "../server/channel_port.ts";
import type { ChannelConnection, ChannelHost, ChannelService, ChannelServiceFactory, ChannelSession } from "../server/channel_port.ts";
import type { WebSocketOptions } from "../server/options.ts";
import { HistoryService } from "./history.ts";
import { PresenceRegistry } from "./presence.ts";
import { Session } from "./session.ts";
import type { SessionService } from "./session.ts";

/** Channels for one endpoint. */
export class Channels<D> implements ChannelService<D>, SessionService<D> {
  readonly host: ChannelHost<D>;
  readonly history: HistoryService<D> | undefined;
  readonly #registry: PresenceRegistry | undefined;
  /** Sessions following each topic's join/leave events. */
  readonly #watchers = new Map<string, Set<Session<D>>>();

  constructor(host: ChannelHost<D>) {
    this.host = host;
    this.history = host.options.history === undefined ? undefined : new HistoryService(host.options.history, host);
    this.#registry = host.options.presence === undefined ? undefined : new PresenceRegistry({
      serverId: crypto.randomUUID(),
      broker: host.broker,
      heartbeatMs: host.options.presenceHeartbeat,
      report: (err) => host.report(undefined, err),
      onChange: (event) => this.#announce(event.type, event.topic, event.member),
    });
  }

  get presenceOn(): boolean {
    return this.#registry !== undefined;
  }

  open(conn: ChannelConnection<D>): ChannelSession {
    return new Session(conn, this);
  }

  members(topic: string): PresenceMember[] {
    if (this.#registry === undefined) throw new InvalidStateError("presence() needs channels.presence (presence is off)");
    return this.#registry.members(topic);
  }

  join(topic: string, member: PresenceMember): void {
    this.#registry?.join(topic, member);
  }

  leave(topic: string, memberId: string): void {
    this.#registry?.leave(topic, memberId);
  }

  watch(topic: string, session: Session<D>): void {
    let set = this.#watchers.get(topic);
    if (set === undefined) this.#watchers.set(topic, set = new Set());
    set.add(session);
  }

  unwatch(topic: string, session: Session<D>): void {
    const set = this.#watchers.get(topic);
    if (set === undefined) return;
    set.delete(session);
    if (set.size === 0) this.#watchers.delete(topic);
  }

  /** A join or leave (local or another server's) to the topic's presence followers, the member itself excepted. */
  #announce(type: "join" | "leave", topic: string, member: PresenceMember): void {
    const set = this.#watchers.get(topic);
    if (set === undefined) return;
    for (const session of set) if (session.memberId !== member.id) session.control({ t: type, topic, member });
  }

  historyUsage(): { publications: number; bytes: number } {
    return this.history?.usage() ?? { publications: 0, bytes: 0 };
  }

  async close(): Promise<void> {
    this.history?.close();
    this.#watchers.clear();
    await this.#registry?.close();
  }
}

/** Builds an endpoint's channels layer (what the core calls). */
export const createChannels: ChannelServiceFactory = <D>(host: ChannelHost<D>) => new Channels<D>(host);

/** Adds the channels layer to an endpoint's options when `channels` is set (else returns them unchanged). */
export function withChannelLayer<D>(options: WebSocketOptions<D>): WebSocketOptions<D> {
  if (options.channels === undefined) return options;
  return { ...options, [CHANNEL_SERVICE]: createChannels } as WebSocketOptions<D>;
}
