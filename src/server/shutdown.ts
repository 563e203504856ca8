/**
 * The options of a graceful shutdown and their checks. (The shutdown
 * itself, closing every connection and waiting, is ServerCore.shutdown.)
 *
 * @module
 */

import { assertCloseReason, CloseCode } from "../shared/close_codes.ts";

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

/**
 * Close codes a shutdown may send: 1000 (normal), 1001 (going away),
 * 1012 (service restart) and the application range 3000–4999. Others are
 * either reserved for the protocol (1005/1006 must never be on the wire) or
 * describe a peer's fault.
 */
export function isShutdownCode(code: number): boolean {
  return code === CloseCode.Normal || code === CloseCode.GoingAway || code === CloseCode.ServiceRestart ||
    (Number.isInteger(code) && code >= 3000 && code <= 4999);
}

/** Applies defaults and throws a RangeError for a bad option. */
export function checkShutdownOptions(options: ShutdownOptions): Required<ShutdownOptions> {
  const code = options.code ?? CloseCode.GoingAway;
  if (typeof code !== "number" || !isShutdownCode(code)) {
    throw new RangeError(`shutdown code must be 1000, 1001, 1012 or 3000–4999, got ${String(code)}`);
  }
  const reason = options.reason ?? "server shutting down";
  if (typeof reason !== "string") throw new TypeError("shutdown reason must be a string");
  assertCloseReason(reason);
  const timeout = options.timeout ?? 5000;
  if (typeof timeout !== "number" || !(timeout >= 0) || timeout > 2 ** 31 - 1) {
    throw new RangeError(`shutdown timeout must be a number of milliseconds from 0 to 2147483647, got ${String(timeout)}`);
  }
  return { code, reason, timeout };
}
