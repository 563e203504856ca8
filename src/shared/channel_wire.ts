/**
 * The frames of the channels subprotocol (docs/channels.md), shared by the
 * server and the client: one-byte tags, control messages and binary
 * publications, encoded and decoded in one place so both sides agree.
 * Internal.
 *
 * @module
 */

import { isPosition } from "./position.ts";
import type { RecoveryFailure, StreamPosition } from "./position.ts";

/** The subprotocol a client offers to use channels. */
export const CHANNELS_PROTOCOL = "fullduplex.channels.v1";

/** Tag of an application text message. */
export const TAG_APP_TEXT = "m";
/** Tag of a control message (JSON). */
export const TAG_CONTROL = "c";
/** Tag byte of an application binary message. */
export const TAG_APP_BINARY = 0x6d;
/** Tag byte of a binary publication (server → client). */
export const TAG_PUBLICATION = 0x70;
/** Tag byte of a binary publish (client → server). */
export const TAG_PUBLISH = 0x50;
/** Tag byte of a binary publication with its history position (server → client). */
export const TAG_POSITIONED_PUBLICATION = 0x71;

/** Largest request id (exclusive): ids are positive integers below 2^31. */
export const MAX_REQUEST_ID = 2 ** 31;

/**
 * A member of a topic's presence: one socket subscribed to the topic, with
 * the info its server chose for it (never what a client claims).
 *
 * @example
 * ```ts
 * import { connect } from "@fullduplex/fullduplex";
 * import type { PresenceMember } from "@fullduplex/fullduplex";
 * const ws = await connect("ws://localhost:8080", { channels: true });
 * const room = await ws.subscribe("room:42", { presence: true });
 * const online: PresenceMember[] = await room.presence();
 * room.on("join", (member: PresenceMember) => console.log("joined:", member.id, member.info));
 * ```
 */
export interface PresenceMember {
  /** The socket's id (`socket.id`). */
  id: string;
  /** What `channels.presence(socket)` returned (JSON). */
  info: unknown;
}

/**
 * What a `sub` asks of a topic's history: `recover` asks for positions
 * (in the `ok` and on every publication); with `since`, the publications
 * after that position are replayed first; with `last`, the last `last`.
 */
export interface SubRecovery {
  recover?: boolean;
  since?: StreamPosition;
  last?: number;
}

/** Control messages a client sends. */
export type ClientControl =
  | ({ t: "sub"; id: number; topic: string; presence?: boolean } & SubRecovery)
  | { t: "unsub"; id: number; topic: string }
  | { t: "pub"; id: number; topic: string; data: string }
  | { t: "presence"; id: number; topic: string }
  | { t: "reply"; id: number; data?: unknown; error?: string };

/**
 * What an `ok` says of a topic's history: for a `sub` with `recover`, the
 * position the publications that follow come after, and whether every
 * publication after `since` will be replayed (`recovered`, else `reason`);
 * for a `pub` on a topic with history, the publication's position.
 */
export interface OkPosition {
  epoch?: string;
  offset?: number;
  recovered?: boolean;
  reason?: RecoveryFailure;
}

/** Control messages a server sends. */
export type ServerControl =
  | ({ t: "ok"; id: number; members?: PresenceMember[] } & OkPosition)
  | { t: "deny"; id: number; reason: string; kind?: "unavailable" }
  | { t: "error"; id?: number; reason: string }
  | { t: "msg"; topic: string; data: string; epoch?: string; offset?: number }
  | { t: "lost"; topic: string; reason: RecoveryFailure; epoch: string; offset: number }
  | { t: "join"; topic: string; member: PresenceMember }
  | { t: "leave"; topic: string; member: PresenceMember }
  | { t: "end"; topic: string; reason: string }
  | { t: "req"; id: number; data: unknown };

/** One decoded frame of a channels connection. */
export type ChannelFrame<C> =
  | { kind: "app"; data: string | Uint8Array }
  | { kind: "control"; message: C }
  | { kind: "binary-publish"; id: number; topic: string; data: Uint8Array }
  | { kind: "binary-publication"; topic: string; data: Uint8Array; position?: StreamPosition }
  | { kind: "malformed"; reason: string; id?: number };

const encoder = new TextEncoder();
const RECOVERY_FAILURES: ReadonlySet<string> = new Set<RecoveryFailure>([
  "trimmed",
  "expired",
  "epoch changed",
  "unknown position",
  "store unavailable",
  "not recoverable",
  "gap",
]);
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** An application text message, tagged. */
export function appText(text: string): string {
  return TAG_APP_TEXT + text;
}

/** An application binary message, tagged (one copy: the tag byte comes first). */
export function appBinary(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength + 1);
  out[0] = TAG_APP_BINARY;
  out.set(bytes, 1);
  return out;
}

/** A control message as a text frame. */
export function controlFrame(message: ClientControl | ServerControl): string {
  return TAG_CONTROL + JSON.stringify(message);
}

/** A binary publication frame: tag, u16 topic length, topic, payload. */
export function binaryPublication(topic: string, payload: Uint8Array): Uint8Array {
  const name = encoder.encode(topic);
  const out = new Uint8Array(3 + name.byteLength + payload.byteLength);
  out[0] = TAG_PUBLICATION;
  out[1] = name.byteLength >> 8;
  out[2] = name.byteLength & 0xff;
  out.set(name, 3);
  out.set(payload, 3 + name.byteLength);
  return out;
}

/**
 * A binary publication with its position: tag `q`, u16 topic length,
 * topic, u8 epoch length, epoch (ASCII), u32 offset high, u32 offset low,
 * payload.
 */
export function positionedPublication(topic: string, position: StreamPosition, payload: Uint8Array): Uint8Array {
  const name = encoder.encode(topic);
  const epoch = encoder.encode(position.epoch);
  const head = 3 + name.byteLength + 1 + epoch.byteLength + 8;
  const out = new Uint8Array(head + payload.byteLength);
  const view = new DataView(out.buffer);
  out[0] = TAG_POSITIONED_PUBLICATION;
  view.setUint16(1, name.byteLength);
  out.set(name, 3);
  let at = 3 + name.byteLength;
  out[at] = epoch.byteLength;
  out.set(epoch, at + 1);
  at += 1 + epoch.byteLength;
  view.setUint32(at, Math.floor(position.offset / 2 ** 32));
  view.setUint32(at + 4, position.offset >>> 0);
  out.set(payload, head);
  return out;
}

/** A binary publish frame: tag, u32 id, u16 topic length, topic, payload. */
export function binaryPublish(id: number, topic: string, payload: Uint8Array): Uint8Array {
  const name = encoder.encode(topic);
  const out = new Uint8Array(7 + name.byteLength + payload.byteLength);
  const view = new DataView(out.buffer);
  out[0] = TAG_PUBLISH;
  view.setUint32(1, id);
  view.setUint16(5, name.byteLength);
  out.set(name, 7);
  out.set(payload, 7 + name.byteLength);
  return out;
}

/**
 * Why `topic` is not a valid channel topic, or undefined when it is: a
 * non-empty string of at most `maxBytes` UTF-8 bytes without U+0000
 * (reserved for internal broker topics).
 */
export function topicProblem(topic: unknown, maxBytes: number): string | undefined {
  if (typeof topic !== "string" || topic.length === 0) return "topic must be a non-empty string";
  if (topic.length > maxBytes || encoder.encode(topic).byteLength > maxBytes) return "topic too long";
  if (topic.includes("\u0000")) return "topic must not contain U+0000";
  return undefined;
}

function isId(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value < MAX_REQUEST_ID;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseControl(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "control message is not JSON";
  }
  if (!isObject(value)) return "control message must be a JSON object";
  if (typeof value.t !== "string") return 'control message needs a string field "t"';
  return value;
}

/** Reads the topic of a binary frame at `offset` (u16 length, then UTF-8). */
function readTopic(bytes: Uint8Array, offset: number): { topic: string; end: number } | undefined {
  if (bytes.byteLength < offset + 2) return undefined;
  const length = (bytes[offset] << 8) | bytes[offset + 1];
  const end = offset + 2 + length;
  if (length === 0 || bytes.byteLength < end) return undefined;
  try {
    return { topic: strictUtf8.decode(bytes.subarray(offset + 2, end)), end };
  } catch {
    return undefined;
  }
}

/** A text frame of either side: an app message (`m`), or a control message (`c`) checked by `check`. */
function decodeText<C>(data: string, check: (value: Record<string, unknown>) => ChannelFrame<C>): ChannelFrame<C> {
  const tag = data.charCodeAt(0);
  if (tag === 0x6d) return { kind: "app", data: data.slice(1) };
  if (tag !== 0x63) return { kind: "malformed", reason: data.length === 0 ? "empty frame" : "unknown frame tag" };
  const value = parseControl(data.slice(1));
  return typeof value === "string" ? { kind: "malformed", reason: value } : check(value);
}

/** Decodes a frame a client sent (the server's side). */
export function decodeClientFrame(data: string | Uint8Array): ChannelFrame<ClientControl> {
  if (typeof data === "string") return decodeText(data, checkClientControl);
  if (data.byteLength === 0) return { kind: "malformed", reason: "empty frame" };
  if (data[0] === TAG_APP_BINARY) return { kind: "app", data: data.subarray(1) };
  if (data[0] !== TAG_PUBLISH) return { kind: "malformed", reason: "unknown frame tag" };
  if (data.byteLength < 7) return { kind: "malformed", reason: "binary publish too short" };
  const id = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(1);
  if (!isId(id)) return { kind: "malformed", reason: "binary publish id out of range" };
  const topic = readTopic(data, 5);
  if (topic === undefined) return { kind: "malformed", reason: "binary publish has a bad topic", id };
  return { kind: "binary-publish", id, topic: topic.topic, data: data.subarray(topic.end) };
}

function checkClientControl(value: Record<string, unknown>): ChannelFrame<ClientControl> {
  const id = isId(value.id) ? value.id : undefined;
  const bad = (
    reason: string,
  ): ChannelFrame<ClientControl> => (id === undefined ? { kind: "malformed", reason } : { kind: "malformed", reason, id });
  if (id === undefined) return bad('control message needs an "id": an integer from 1 to 2147483647');
  const t = value.t;
  if (t === "reply") {
    if (value.error !== undefined && typeof value.error !== "string") return bad('"error" must be a string');
    const message: ClientControl = value.error !== undefined ? { t, id, error: value.error as string } : { t, id, data: value.data };
    return { kind: "control", message };
  }
  if (t !== "sub" && t !== "unsub" && t !== "pub" && t !== "presence") {
    return bad(`unknown control message type ${JSON.stringify(t).slice(0, 40)}`);
  }
  if (typeof value.topic !== "string") return bad('"topic" must be a string');
  const topic = value.topic;
  if (t === "sub") {
    if (value.presence !== undefined && typeof value.presence !== "boolean") return bad('"presence" must be true or false');
    if (value.recover !== undefined && typeof value.recover !== "boolean") return bad('"recover" must be true or false');
    const message: ClientControl = { t, id, topic, presence: value.presence === true };
    if (value.recover === true) message.recover = true;
    if (value.since !== undefined) {
      if (!isPosition(value.since)) return bad('"since" must be a position {"epoch": string, "offset": integer >= 0}');
      message.since = { epoch: value.since.epoch, offset: value.since.offset };
    }
    if (value.last !== undefined) {
      if (typeof value.last !== "number" || !Number.isSafeInteger(value.last) || value.last < 0) {
        return bad('"last" must be an integer >= 0');
      }
      message.last = value.last;
    }
    if (message.since !== undefined && message.last !== undefined) return bad('"since" and "last" cannot both be given');
    if ((message.since !== undefined || message.last !== undefined) && message.recover !== true) {
      return bad('"since" and "last" need "recover": true');
    }
    return { kind: "control", message };
  }
  if (t === "pub") {
    if (typeof value.data !== "string") return bad('"data" must be a string (binary publications use a binary frame)');
    return { kind: "control", message: { t, id, topic, data: value.data } };
  }
  return { kind: "control", message: { t, id, topic } };
}

/** Decodes a frame a server sent (the client's side). */
export function decodeServerFrame(data: string | Uint8Array): ChannelFrame<ServerControl> {
  if (typeof data === "string") return decodeText(data, checkServerControl);
  if (data.byteLength === 0) return { kind: "malformed", reason: "empty frame" };
  if (data[0] === TAG_APP_BINARY) return { kind: "app", data: data.subarray(1) };
  if (data[0] === TAG_POSITIONED_PUBLICATION) return decodePositioned(data);
  if (data[0] !== TAG_PUBLICATION) return { kind: "malformed", reason: "unknown frame tag" };
  const topic = readTopic(data, 1);
  if (topic === undefined) return { kind: "malformed", reason: "binary publication has a bad topic" };
  return { kind: "binary-publication", topic: topic.topic, data: data.subarray(topic.end) };
}

function decodePositioned(data: Uint8Array): ChannelFrame<ServerControl> {
  const topic = readTopic(data, 1);
  if (topic === undefined) return { kind: "malformed", reason: "binary publication has a bad topic" };
  const length = data[topic.end];
  const end = topic.end + 1 + (length ?? 0) + 8;
  if (length === undefined || length === 0 || data.byteLength < end) {
    return { kind: "malformed", reason: "binary publication has a bad position" };
  }
  let epoch: string;
  try {
    epoch = strictUtf8.decode(data.subarray(topic.end + 1, topic.end + 1 + length));
  } catch {
    return { kind: "malformed", reason: "binary publication has a bad position" };
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const offset = view.getUint32(end - 8) * 2 ** 32 + view.getUint32(end - 4);
  if (!Number.isSafeInteger(offset)) return { kind: "malformed", reason: "binary publication has a bad position" };
  return { kind: "binary-publication", topic: topic.topic, data: data.subarray(end), position: { epoch, offset } };
}

function isMember(value: unknown): value is PresenceMember {
  return isObject(value) && typeof value.id === "string";
}

function checkServerControl(value: Record<string, unknown>): ChannelFrame<ServerControl> {
  const t = value.t;
  const id = isId(value.id) ? value.id : undefined;
  const bad = (
    reason: string,
  ): ChannelFrame<ServerControl> => (id === undefined ? { kind: "malformed", reason } : { kind: "malformed", reason, id });
  switch (t) {
    case "ok": {
      if (id === undefined) return bad('"ok" needs an id');
      const members = value.members;
      if (members !== undefined && (!Array.isArray(members) || !members.every(isMember))) return bad('"members" must be a list of members');
      const message: ServerControl = members === undefined ? { t, id } : { t, id, members: members as PresenceMember[] };
      if (value.epoch !== undefined || value.offset !== undefined) {
        const position = { epoch: value.epoch, offset: value.offset };
        if (!isPosition(position)) return bad('"ok" has a bad position');
        message.epoch = position.epoch;
        message.offset = position.offset;
      }
      if (value.recovered !== undefined) {
        if (typeof value.recovered !== "boolean") return bad('"recovered" must be true or false');
        message.recovered = value.recovered;
      }
      if (value.reason !== undefined) {
        if (typeof value.reason !== "string" || !RECOVERY_FAILURES.has(value.reason)) return bad('"ok" has an unknown recovery reason');
        message.reason = value.reason as RecoveryFailure;
      }
      return { kind: "control", message };
    }
    case "deny":
      if (id === undefined || typeof value.reason !== "string") return bad('"deny" needs an id and a reason');
      return {
        kind: "control",
        message: value.kind === "unavailable" ? { t, id, reason: value.reason, kind: "unavailable" } : { t, id, reason: value.reason },
      };
    case "error":
      if (typeof value.reason !== "string") return bad('"error" needs a reason');
      return { kind: "control", message: id === undefined ? { t, reason: value.reason } : { t, id, reason: value.reason } };
    case "msg":
      if (typeof value.topic !== "string" || typeof value.data !== "string") return bad('"msg" needs a topic and string data');
      if (value.epoch !== undefined || value.offset !== undefined) {
        const position = { epoch: value.epoch, offset: value.offset };
        if (!isPosition(position)) return bad('"msg" has a bad position');
        return { kind: "control", message: { t, topic: value.topic, data: value.data, epoch: position.epoch, offset: position.offset } };
      }
      return { kind: "control", message: { t, topic: value.topic, data: value.data } };
    case "lost": {
      const position = { epoch: value.epoch, offset: value.offset };
      if (
        typeof value.topic !== "string" || typeof value.reason !== "string" || !RECOVERY_FAILURES.has(value.reason) || !isPosition(position)
      ) {
        return bad('"lost" needs a topic, a reason and a position');
      }
      return {
        kind: "control",
        message: { t, topic: value.topic, reason: value.reason as RecoveryFailure, epoch: position.epoch, offset: position.offset },
      };
    }
    case "join":
    case "leave":
      if (typeof value.topic !== "string" || !isMember(value.member)) return bad(`"${t}" needs a topic and a member`);
      return { kind: "control", message: { t, topic: value.topic, member: value.member } };
    case "end":
      if (typeof value.topic !== "string" || typeof value.reason !== "string") return bad('"end" needs a topic and a reason');
      return { kind: "control", message: { t, topic: value.topic, reason: value.reason } };
    case "req":
      if (id === undefined) return bad('"req" needs an id');
      return { kind: "control", message: { t, id, data: value.data } };
    default:
      return bad(`unknown control message type ${JSON.stringify(t).slice(0, 40)}`);
  }
}
