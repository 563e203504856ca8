/**
 * The parts of `node:http` and `node:https` the ws engine uses, typed here
 * structurally so that the published types need no Node.js typings, and
 * the one place that loads them (lazily: only an endpoint with
 * `engine: "ws"` does). Internal, except {@link NodeUpgradeRequest} and
 * {@link NodeUpgradeSocket}, the arguments of `handleNodeUpgrade()`.
 *
 * @module
 */

/**
 * The request of a `node:http` server's `upgrade` event, as fullduplex
 * reads it (Node's `IncomingMessage` fits).
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createHandler } from "@fullduplex/fullduplex";
 * import type { NodeUpgradeRequest, NodeUpgradeSocket } from "@fullduplex/fullduplex";
 * const ws = createHandler({ engine: "ws" });
 * const server = createServer((_req, res) => res.end("hello"));
 * server.on("upgrade", (req: NodeUpgradeRequest, socket: NodeUpgradeSocket, head: Uint8Array) => ws.handleNodeUpgrade(req, socket, head));
 * server.listen(8080);
 * ```
 */
export interface NodeUpgradeRequest {
  /** The request method (`"GET"` for a valid upgrade). */
  readonly method?: string;
  /** The request target: path and query. */
  readonly url?: string;
  /** The headers, names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The headers as received: name, value, name, value… */
  readonly rawHeaders?: readonly string[];
  /** The TCP (or TLS) socket, for the peer's address. */
  readonly socket: { readonly remoteAddress?: string; readonly remotePort?: number; readonly encrypted?: boolean };
}

/**
 * The raw socket of a `node:http` server's `upgrade` event, as fullduplex
 * uses it (Node's `stream.Duplex` / `net.Socket` fits).
 *
 * @example
 * ```ts
 * import type { NodeUpgradeSocket } from "@fullduplex/fullduplex";
 * // What fullduplex writes a refused upgrade's answer to:
 * function refuse(socket: NodeUpgradeSocket): void {
 *   socket.end("HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
 * }
 * ```
 */
export interface NodeUpgradeSocket {
  /** True once the socket is destroyed. */
  readonly destroyed: boolean;
  /** False once the peer ended its side. */
  readonly readable: boolean;
  /** False once this side ended. */
  readonly writable: boolean;
  /** Queues bytes to write. */
  write(chunk: string | Uint8Array): boolean;
  /** Writes `chunk` (if any), then ends this side. */
  end(chunk?: string | Uint8Array): unknown;
  /** Closes the socket at once. */
  destroy(): unknown;
  /** Listens for a socket event (`error`, `finish`). */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Listens once for a socket event. */
  once(event: "finish", listener: () => void): unknown;
}

/** The request of a `node:http` server's `request` event, as fullduplex reads it. */
export interface NodeRequest extends NodeUpgradeRequest, AsyncIterable<Uint8Array> {}

/** The response of a `node:http` server's `request` event, as fullduplex writes it. */
export interface NodeResponse {
  writeHead(status: number, statusText: string, headers: Record<string, string | string[]>): unknown;
  write(chunk: Uint8Array): boolean;
  end(chunk?: string | Uint8Array): unknown;
  destroy(error?: Error): unknown;
  readonly destroyed: boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
}

/** A `node:http` or `node:https` server. */
export interface NodeHttpServer {
  listen(port: number, hostname: string, listening: () => void): unknown;
  address(): { address: string; port: number } | string | null;
  close(closed?: (err?: Error) => void): unknown;
  closeAllConnections?(): void;
  on(event: "upgrade", listener: (req: NodeRequest, socket: NodeUpgradeSocket, head: Uint8Array) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}

/** The request handler of a `node:http` server. */
export type NodeRequestListener = (req: NodeRequest, res: NodeResponse) => void;

/** The part of `node:http` used. */
export interface NodeHttpModule {
  createServer(listener: NodeRequestListener): NodeHttpServer;
  /** Reason phrases by status code. */
  readonly STATUS_CODES: Readonly<Record<number, string | undefined>>;
}

/** The part of `node:https` used. */
export interface NodeHttpsModule {
  createServer(options: { cert: string; key: string }, listener: NodeRequestListener): NodeHttpServer;
}

/** Loads `node:http`. */
export async function loadNodeHttp(): Promise<NodeHttpModule> {
  return (await import("node:http")) as unknown as NodeHttpModule;
}

/** Loads `node:https`. */
export async function loadNodeHttps(): Promise<NodeHttpsModule> {
  return (await import("node:https")) as unknown as NodeHttpsModule;
}
