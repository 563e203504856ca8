/**
 * The `origins` allow-list, checked on upgrade: a page on another site must
 * not open a socket that carries the user's cookies (cross-site WebSocket
 * hijacking). Browsers always send `Origin` on a WebSocket handshake;
 * non-browser clients usually send none and cannot carry a victim's
 * cookies, so a request without the header is allowed. Internal.
 *
 * @module
 */

/**
 * Returns a 403 Response when the request's `Origin` is not in `allowed`,
 * or undefined when it may go on (no allow-list, no header, or a match).
 * Matching is exact on scheme, host and port after URL normalisation
 * (`https://A.example:443` equals `https://a.example`).
 */
export function checkOrigin(req: Request, allowed: ReadonlySet<string> | undefined): Response | undefined {
  if (allowed === undefined) return undefined;
  const origin = req.headers.get("origin");
  if (origin === null) return undefined;
  let normalized: string;
  try {
    normalized = new URL(origin).origin;
  } catch {
    normalized = "null"; // "null" (sandboxed pages, file:) or garbage: never in the list.
  }
  if (allowed.has(normalized)) return undefined;
  return new Response(`origin ${origin} is not allowed\n`, { status: 403, headers: { "content-type": "text/plain; charset=utf-8" } });
}
