/**
 * Presence registry: who is subscribed (with presence) to which topic.
 * LOCAL-ONLY STAND-IN with the agreed interface; the broker-backed registry
 * (heartbeats, other servers' members) replaces this file. Internal.
 *
 * @module
 */

import type { Broker } from "../broker/broker.ts";
import type { PresenceMember } from "../shared/channel_wire.ts";

/** Options of a {@link PresenceRegistry}. */
export interface PresenceOptions {
  serverId: string;
  broker?: Broker;
  heartbeatMs?: number;
  report(err: unknown): void;
  onChange(event: { type: "join" | "leave"; topic: string; member: PresenceMember }): void;
}

/** The members of every topic on this server. */
export class PresenceRegistry {
  readonly #options: PresenceOptions;
  readonly #topics = new Map<string, Map<string, PresenceMember>>();

  constructor(options: PresenceOptions) {
    this.#options = options;
  }

  /** A local socket joined `topic`. */
  join(topic: string, member: PresenceMember): void {
    let members = this.#topics.get(topic);
    if (members === undefined) this.#topics.set(topic, members = new Map());
    if (members.has(member.id)) return;
    members.set(member.id, member);
    this.#options.onChange({ type: "join", topic, member });
  }

  /** A local socket left `topic`. */
  leave(topic: string, memberId: string): void {
    const members = this.#topics.get(topic);
    const member = members?.get(memberId);
    if (members === undefined || member === undefined) return;
    members.delete(memberId);
    if (members.size === 0) this.#topics.delete(topic);
    this.#options.onChange({ type: "leave", topic, member });
  }

  /** The members of `topic` now. */
  members(topic: string): PresenceMember[] {
    return [...(this.#topics.get(topic)?.values() ?? [])];
  }

  /** Leaves every local member. */
  close(): Promise<void> {
    for (const [topic, members] of [...this.#topics]) for (const id of [...members.keys()]) this.leave(topic, id);
    return Promise.resolve();
  }
}
