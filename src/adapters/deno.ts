/**
 * Deno adapter: Deno.serve + Deno.upgradeWebSocket → core events.
 *
 * Quirks handled here (Deno 2.9, checked by running code, see
 * shared notes/RUNTIMES.md):
 * - `upgradeWebSocket({ protocol })` throws (→ HTTP 500) when the client
 *   wrote `chat,superchat` without a space, so we never pass `protocol`
 *   and set the response header ourselves (the 101's headers are mutable).
 * - a header that fails after `upgradeWebSocket()` leaves the peer hanging
 *   ("Upgrade response was not returned from callback"): the core checks
 *   the hook's headers before we get here.
 * - an abrupt end is reported with code 0 and the idle timeout fires
 *   `close` twice (1001 then 1005); the core normalises and de-duplicates.
 * - Deno runs the idle timeout itself (pings included): we report its
 *   close to the connection, which counts it.
 * - there is no message-size option (denoland/deno#15809): the core checks
 *   every whole message; a frame over 64 MiB is refused by Deno itself.
 * - the server socket cannot be dropped (no terminate()).
 * - a throw in an event handler ends the process.
 *
 * @module
 */

import { CloseCode } from "../shared/close_codes.ts";
import { ReadyStates } from "../shared/types.ts";
import type { RemoteAddress } from "../shared/types.ts";
import { engineRefusedUpgrade, ServerCore } from "../server/core.ts";
import type { Connection } from "../server/connection.ts";
import type { WebSocketOptions } from "../server/options.ts";
import { InProcessTopics } from "../server/topics.ts";
import type { AdapterCapabilities } from "../server/transport.ts";
import { denoNamespace } from "./deno_api.ts";
import type { DenoHttpServer, DenoNamespace, DenoServeInfo, DenoServeOptions, DenoWebSocket } from "./deno_api.ts";
import { DenoTransport } from "./deno_transport.ts";

/** Deno's engine: no message-size limit, its own idle timeout. */
export const DENO_CAPABILITIES: AdapterCapabilities = Object.freeze({
  nativeMaxMessageBytes: false,
  nativeIdleTimeout: true,
});

/** The reason Deno gives when its idleTimeout closes a silent peer. */
const DENO_IDLE_REASON = "No response from ping frame.";

function remoteOf(info: DenoServeInfo | undefined): RemoteAddress {
  const addr = info?.remoteAddr;
  return { address: addr?.hostname ?? "", port: addr?.port ?? 0 };
}

/**
 * Turns a Deno socket's events into calls on its connection.
 *
 * Engine errors, decided alike on both runtimes: Deno's `error` event
 * (EOF, "Frame too large", the idle timeout) is always followed by a
 * `close` that carries what the application needs (1006, 1001…), and Bun
 * reports no such thing at all, so it is not passed to the `error` handler
 * on either runtime: `error` is for code that threw. What Bun does report,
 * a throw escaping into the engine (only a fullduplex bug can), would end
 * a Deno process: it goes where Bun's `error` callback sends it (the
 * `error` handler, then a 1011 close), on both runtimes. It is caught here
 * for open and close, and inside Connection.received for messages (which
 * never throws: a try/catch closure around it here measured ~10-20% more
 * on Deno's small-message path in bench/micro.ts).
 */
export function wireDenoSocket<D>(conn: Connection<D, DenoTransport>, ws: DenoWebSocket, openTimeoutMs = 0): void {
  // A client that went away while an async `upgrade` hook ran still gets its
  // 101 from Deno.upgradeWebSocket, but the socket then fires neither open nor
  // close: its maxConnections slot (stats.pendingUpgrades) would be held for
  // good. Give up on an upgrade that has not opened within closeTimeout.
  let unopened: ReturnType<typeof setTimeout> | undefined;
  if (openTimeoutMs > 0) {
    unopened = setTimeout(() => {
      if (conn.state !== ReadyStates.CONNECTING) return;
      conn.closed(CloseCode.Abnormal, "the upgrade never opened");
      try {
        ws.close(); // lets Deno.serve's shutdown stop waiting for this socket
      } catch { /* Deno may refuse a close before open; the connection is over for us anyway */ }
    }, openTimeoutMs);
  }
  ws.onopen = () => {
    clearTimeout(unopened);
    try {
      conn.opened();
      // Opened after we gave up on it: the connection is over for the library, so for the peer too.
      if (conn.state !== ReadyStates.OPEN) ws.close(CloseCode.GoingAway, "upgrade timed out");
    } catch (err) {
      conn.failed(err);
    }
  };
  // received() never throws (it catches what fails in it): the hot path stays one call.
  ws.onmessage = (event: MessageEvent) => conn.received(event.data as string | ArrayBuffer);
  ws.onclose = (event: CloseEvent) => {
    clearTimeout(unopened);
    try {
      // Deno's own idle timeout ends with this close; the connection counts it.
      if (event.code === CloseCode.GoingAway && event.reason === DENO_IDLE_REASON) conn.closedByIdleTimeout(event.code, event.reason);
      else conn.closed(event.code, event.reason);
    } catch (err) {
      conn.failed(err);
    }
  };
  ws.onerror = () => {}; // see above: the close event that follows carries it
}

/** The Deno side of one endpoint: its core, and upgrades through Deno.upgradeWebSocket. */
export class DenoAdapter<D> {
  readonly engine = "deno" as const;
  readonly core: ServerCore<D, DenoTransport>;
  /** Deno.upgradeWebSocket, or a stand-in given by a unit test. */
  readonly #upgradeWebSocket: DenoNamespace["upgradeWebSocket"];

  constructor(options: WebSocketOptions<D>, upgradeWebSocket?: DenoNamespace["upgradeWebSocket"]) {
    this.core = new ServerCore<D, DenoTransport>(options, {
      capabilities: DENO_CAPABILITIES,
      topics: new InProcessTopics<DenoTransport>(),
    });
    this.#upgradeWebSocket = upgradeWebSocket ?? ((req, opts) => denoNamespace().upgradeWebSocket(req, opts));
  }

  /**
   * Upgrades a request on Deno: runs the core's checks and hook, then
   * Deno.upgradeWebSocket, and wires the socket to a core connection.
   */
  async handleUpgrade(req: Request, info: DenoServeInfo | undefined): Promise<Response> {
    const core = this.core;
    const accepted = await core.prepareUpgrade(req, remoteOf(info));
    if (accepted instanceof Response) return accepted;
    // Deno's idleTimeout pings at half the timeout and closes with 1001 at the end;
    // it takes whole seconds, so round up rather than turn a short timeout off.
    const idle = core.limits.idleTimeout;
    let upgraded: { socket: DenoWebSocket; response: Response };
    try {
      upgraded = this.#upgradeWebSocket(req, { idleTimeout: idle === 0 ? 0 : Math.max(1, Math.ceil(idle)) });
    } catch {
      // Our checks cover every check Deno makes of the request, so this is Deno refusing it
      // for its own reasons: a refusal, as on Bun (upgrade() returning false), not a server bug.
      core.upgradeAborted(accepted.remote); // no connection will open: give its slots back
      return engineRefusedUpgrade();
    }
    const { socket: ws, response } = upgraded;
    if (accepted.protocol !== "") response.headers.set("sec-websocket-protocol", accepted.protocol);
    for (const [name, value] of Object.entries(accepted.headers)) response.headers.set(name, value);
    ws.binaryType = "arraybuffer";
    wireDenoSocket(core.connection(new DenoTransport(ws, core.limits.backpressureLimit), accepted), ws, core.limits.closeTimeout * 1000);
    return response;
  }
}

/** Starts Deno.serve (the `serve()` entry point's listener). */
export function denoServe(
  options: DenoServeOptions,
  handler: (req: Request, info: DenoServeInfo) => Response | Promise<Response>,
): DenoHttpServer {
  return denoNamespace().serve(options, handler);
}
