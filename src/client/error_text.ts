/**
 * The text of a connection error: what a runtime's `error` event says,
 * worded the same on every runtime where the cause is known. Internal.
 *
 * @module
 */

/** Causes each runtime reports in its own words (Bun: `error.code`; Deno: the end of the message). */
const KNOWN_CAUSES: Record<string, string> = {
  ECONNREFUSED: "connection refused (ECONNREFUSED)",
  ENOTFOUND: "host not found (ENOTFOUND)",
  ETIMEDOUT: "connection timed out (ETIMEDOUT)",
  ECONNRESET: "connection reset (ECONNRESET)",
  "tcp connect error": "connection refused or unreachable (tcp connect error)",
  "dns error": "host not found (dns error)",
};

/**
 * Describes a runtime's error event as text, the same way on each runtime
 * where the cause is known (Bun gives `error.code`, Deno a message ending in
 * "tcp connect error" or "dns error").
 */
export function describeErrorEvent(ev: Event | undefined): string {
  const e = ev as (Event & { message?: string; error?: { message?: string; code?: unknown } }) | undefined;
  const code = e?.error?.code;
  if (typeof code === "string" && KNOWN_CAUSES[code]) return KNOWN_CAUSES[code];
  const text = e?.error?.message || e?.message || "";
  for (const [needle, friendly] of Object.entries(KNOWN_CAUSES)) if (text.endsWith(needle)) return friendly;
  return text || "connection failed";
}
