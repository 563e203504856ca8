/**
 * Handshake checks run before a request reaches the runtime's upgrade, so
 * both runtimes answer a bad handshake the same way (RFC 6455 §4.2):
 * Deno answers a version-8 handshake with 101 and a malformed
 * `Sec-WebSocket-Protocol` with 500; Bun echoes a subprotocol the server never
 * agreed to.
 *
 * @module
 */

/**
 * Whether a request asks for a WebSocket upgrade (`Upgrade: websocket`).
 * Use it to route in an app that mounts fullduplex beside other routes.
 *
 * @example
 * ```ts
 * import { createHandler, isWebSocketUpgrade } from "@fullduplex/fullduplex";
 * const ws = createHandler();
 * Deno.serve((req) => isWebSocketUpgrade(req) ? ws.handleUpgrade(req)! : new Response("hi"));
 * ```
 */
export function isWebSocketUpgrade(req: Request): boolean {
  const upgrade = req.headers.get("upgrade");
  return upgrade !== null && upgrade.toLowerCase().split(",").some((v) => v.trim() === "websocket");
}

/** A base64 encoding of 16 bytes: 22 characters of the alphabet plus "==". */
const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

function plain(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body + "\n", { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
}

/**
 * Checks an upgrade request's handshake headers. Returns a `Response` that
 * refuses it, or `undefined` when it is well-formed.
 */
export function checkHandshake(req: Request): Response | undefined {
  if (req.method !== "GET") return plain(405, "WebSocket upgrades must use GET", { allow: "GET" });
  const connection = req.headers.get("connection");
  if (connection === null || !connection.toLowerCase().split(",").some((v) => v.trim() === "upgrade")) {
    return plain(400, "missing 'Connection: Upgrade' header");
  }
  const version = req.headers.get("sec-websocket-version");
  if (version === null || version.trim() !== "13") {
    return plain(426, "unsupported WebSocket version: only version 13 is spoken", { "sec-websocket-version": "13" });
  }
  const key = req.headers.get("sec-websocket-key");
  if (key === null || !KEY.test(key.trim())) {
    return plain(400, "missing or malformed Sec-WebSocket-Key header");
  }
  return undefined;
}

/**
 * Parses `Sec-WebSocket-Protocol` (one or several headers, comma-separated,
 * any spacing) into the client's list of protocols, in order, without
 * empties or duplicates: `"chat,superchat"` gives `["chat", "superchat"]`.
 * Internal (the `upgrade` hook sees the result as `info.protocols`).
 */
export function parseProtocols(header: string | null): string[] {
  if (header === null) return [];
  const seen = new Set<string>();
  for (const part of header.split(",")) {
    const name = part.trim();
    if (name !== "") seen.add(name);
  }
  return [...seen];
}

/**
 * Chooses the subprotocol to agree to: the hook's choice when it made one
 * (it must be among the offered ones), otherwise the server's most preferred
 * configured protocol that the client offered, otherwise none (`""`).
 * Throws when the hook picked a protocol the client did not offer.
 */
export function chooseProtocol(offered: readonly string[], configured: readonly string[], picked?: string): string {
  if (picked !== undefined && picked !== "") {
    if (!offered.includes(picked)) {
      throw new Error(`upgrade hook chose subprotocol ${JSON.stringify(picked)}, which the client did not offer`);
    }
    return picked;
  }
  for (const name of configured) if (offered.includes(name)) return name;
  return "";
}
