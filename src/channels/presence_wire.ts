/**
 * The announcements servers exchange about presence on the broker
 * (docs/channels.md, "Presence between servers"): JSON strings on one
 * internal broker topic per channel topic. Encoding and strict decoding in
 * one place, so a bad payload from the broker is refused here and never
 * reaches the registry's state. Internal.
 *
 * @module
 */

import type { PresenceMember } from "../shared/channel_wire.ts";

/** Prefix of the broker topic carrying a channel topic's presence (no application topic contains U+0000). */
export const PRESENCE_TOPIC_PREFIX = "\u0000fd.presence:";

/** Longest server id or member id accepted from another server (longer ones are malformed). */
export const MAX_PRESENCE_ID_LENGTH = 256;

/** The broker topic of a channel topic's presence. */
export function presenceTopic(topic: string): string {
  return PRESENCE_TOPIC_PREFIX + topic;
}

/** One presence announcement. `server` is the id of the server that sent it. */
export type PresenceAnnouncement =
  | { t: "join"; server: string; member: PresenceMember }
  | { t: "leave"; server: string; member: PresenceMember }
  | { t: "beat"; server: string; members: PresenceMember[] }
  | { t: "sync"; server: string }
  | { t: "bye"; server: string };

/** The announcement as the JSON string that travels on the broker. */
export function encodeAnnouncement(announcement: PresenceAnnouncement): string {
  return JSON.stringify(announcement);
}

/** What decoding a payload gave: an announcement, or why it was refused. */
export type DecodedAnnouncement = { ok: true; announcement: PresenceAnnouncement } | { ok: false; reason: string };

function isId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_PRESENCE_ID_LENGTH;
}

function asMember(value: unknown): PresenceMember | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { id, info } = value as { id?: unknown; info?: unknown };
  if (!isId(id)) return undefined;
  return { id, info: info === undefined ? null : info };
}

/**
 * Decodes a broker payload. `maxMembers` bounds a `beat`'s list: a longer
 * list is refused as a whole (a server never sends one: it is a bug or an
 * attack, and keeping a part would show a wrong membership as if right).
 */
export function decodeAnnouncement(data: string | Uint8Array, maxMembers: number): DecodedAnnouncement {
  if (typeof data !== "string") return { ok: false, reason: "a binary payload" };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, reason: "not an object" };
  const { t, server } = value as { t?: unknown; server?: unknown };
  if (!isId(server)) return { ok: false, reason: "no valid server id" };
  switch (t) {
    case "join":
    case "leave": {
      const member = asMember((value as { member?: unknown }).member);
      if (member === undefined) return { ok: false, reason: `a ${t} without a valid member` };
      return { ok: true, announcement: { t, server, member } };
    }
    case "beat": {
      const list = (value as { members?: unknown }).members;
      if (!Array.isArray(list)) return { ok: false, reason: "a beat without a members list" };
      if (list.length > maxMembers) return { ok: false, reason: `a beat with ${list.length} members (at most ${maxMembers})` };
      const members: PresenceMember[] = [];
      for (const item of list) {
        const member = asMember(item);
        if (member === undefined) return { ok: false, reason: "a beat with an invalid member" };
        members.push(member);
      }
      return { ok: true, announcement: { t, server, members } };
    }
    case "sync":
    case "bye":
      return { ok: true, announcement: { t, server } };
    default:
      return { ok: false, reason: `unknown announcement ${JSON.stringify(t)}` };
  }
}
