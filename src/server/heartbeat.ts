/**
 * The server's side of the client heartbeat and of request/reply: it
 * answers the application-level ping text that fullduplex clients (and
 * browsers, which cannot send protocol pings) use to detect dead links, and
 * builds replies that carry a request's correlation id.
 *
 * @module
 */

import type { Message } from "../shared/message.ts";

/**
 * The texts of the application-level heartbeat.
 *
 * @example Answering clients that send "hb?" and expect "hb!"
 * ```ts
 * import { connect, serve } from "@fullduplex/fullduplex";
 * const server = serve({ port: 0, heartbeat: { ping: "hb?", pong: "hb!" } });
 * await server.ready;
 * const ws = await connect(server.url, { heartbeat: { message: "hb?", reply: "hb!" } });
 * ```
 */
export interface ServerHeartbeatOptions {
  /** A received text message equal to this is answered and not passed to `message`. Default `"ping"`. */
  ping?: string;
  /** The answer sent back. Default `"pong"`. */
  pong?: string;
}

/** Resolved heartbeat texts. */
export interface ResolvedServerHeartbeat {
  ping: string;
  pong: string;
}

/**
 * Defaults of {@link ServerHeartbeatOptions}: the same texts the client
 * sends and expects by default. Internal.
 */
export const DEFAULT_SERVER_HEARTBEAT: Readonly<Required<ServerHeartbeatOptions>> = Object.freeze({ ping: "ping", pong: "pong" });

/** Applies defaults; `undefined` when turned off. Throws a TypeError for a bad option. */
export function resolveServerHeartbeat(option: ServerHeartbeatOptions | false | undefined): ResolvedServerHeartbeat | undefined {
  if (option === false) return undefined;
  const ping = option?.ping ?? DEFAULT_SERVER_HEARTBEAT.ping;
  const pong = option?.pong ?? DEFAULT_SERVER_HEARTBEAT.pong;
  if (typeof ping !== "string" || ping === "" || typeof pong !== "string") {
    throw new TypeError("heartbeat.ping must be a non-empty string and heartbeat.pong a string (or heartbeat: false)");
  }
  return { ping, pong };
}

/**
 * The text of a reply to `request` (what `socket.reply()` sends): `value`'s
 * fields plus the request's correlation id under `idField`, e.g.
 * `replyText({ id: "a-1", type: "sum" }, { sum: 3 })` is
 * `'{"sum":3,"id":"a-1"}'`. Throws a TypeError when the request has no id
 * (it was not sent by `client.request()`) or `value` is not an object.
 * Internal.
 */
export function replyText(request: Message | Record<string, unknown>, value: Record<string, unknown>, idField = "id"): string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError("reply() takes a plain JSON object as the value; the correlation id is added to it");
  }
  const parsed = isMessage(request) ? request.json() : request;
  const id = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>)[idField] : undefined;
  if (id === undefined || id === null) {
    throw new TypeError(`reply(): the request has no "${idField}" field to answer (was it sent with client.request()?)`);
  }
  return JSON.stringify({ ...value, [idField]: id });
}

function isMessage(value: unknown): value is Message {
  return typeof value === "object" && value !== null && typeof (value as Message).json === "function" &&
    typeof (value as Message).kind === "string";
}
