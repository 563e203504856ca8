/**
 * One connection attempt: create the runtime's WebSocket, wait for it to
 * open within `timeout`, and report exactly one outcome (opened, or failed
 * with a reason). Reconnecting, i.e. when to try again, is decided by the
 * Client (client.ts) and reconnect.ts, not here. Internal.
 *
 * @module
 */

import { normalizeReceivedCloseCode } from "../shared/close_codes.ts";
import { CHANNELS_PROTOCOL } from "../shared/channel_wire.ts";
import { describeErrorEvent } from "./error_text.ts";
import { createNativeSocket } from "./native_socket.ts";
import type { StandardWebSocket } from "./native_socket_types.ts";
import type { ConnectOptions } from "./types.ts";

/** Default ms an attempt may take to open (`ConnectOptions.timeout`). */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;

/** What an attempt reports, exactly once unless aborted. */
export interface AttemptOutcome {
  opened(ws: StandardWebSocket): void;
  failed(reason: string): void;
}

/**
 * One connection attempt with its timeout. Throws at once when no attempt
 * can work (bad URL, no WebSocket, headers where they cannot be sent);
 * otherwise calls exactly one of `opened`/`failed` later, unless the
 * returned abort function runs first.
 */
export function openSocket(
  href: string,
  options: ConnectOptions,
  done: AttemptOutcome,
): () => void {
  const parsed = new URL(href);
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new Error(`the scheme must be ws: or wss:, not ${parsed.protocol}`);
  }
  let protocols = options.protocols === undefined ? [] : ([] as string[]).concat(options.protocols);
  // Channels are offered first, so a server with channels prefers them (docs/channels.md).
  if (options.channels === true) protocols = [CHANNELS_PROTOCOL, ...protocols.filter((p) => p !== CHANNELS_PROTOCOL)];
  const { ws, release } = createNativeSocket(href, { protocols, headers: options.headers, ca: options.ca });
  ws.binaryType = "arraybuffer";
  let settled = false;
  const giveUp = () => {
    settled = true;
    clearTimeout(timer);
    release();
    ws.onerror = ws.onclose = null;
    // A socket that opens after we gave up must not stay open unseen.
    ws.onopen = () => ws.close();
  };
  const fail = (reason: string) => {
    if (settled) return;
    giveUp();
    done.failed(reason);
  };
  const timeout = options.timeout ?? DEFAULT_CONNECT_TIMEOUT;
  const timer = setTimeout(() => {
    fail(`timed out after ${timeout} ms`);
    try {
      ws.close();
    } catch { /* already closing */ }
  }, timeout);
  // Node 22 fires `error` and no `close` on refusal: fail on the first of the two.
  ws.onerror = (ev) => fail(describeErrorEvent(ev));
  ws.onclose = (ev) => fail(`closed during the handshake (code ${normalizeReceivedCloseCode(ev.code)})`);
  ws.onopen = () => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    release(); // the connection is up; releasing Deno's HttpClient does not end it
    ws.onopen = ws.onerror = ws.onclose = null;
    done.opened(ws);
  };
  return () => {
    if (settled) return;
    giveUp();
    try {
      ws.close();
    } catch { /* already closing */ }
  };
}
