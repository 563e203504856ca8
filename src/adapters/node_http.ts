/**
 * The `node:http` side of the ws engine: the listener `serve({ engine:
 * "ws" })` runs (`node:https` for `tls`), fetch-style plain HTTP over it
 * (Node request → `Request`, `Response` → Node response), the `Request`
 * the core's upgrade checks read, and an HTTP answer written to a raw
 * upgrade socket (a refused upgrade). Internal.
 *
 * @module
 */

import type { RemoteAddress } from "../shared/types.ts";
import { loadNodeHttp, loadNodeHttps } from "./node_http_api.ts";
import type { NodeHttpServer, NodeRequest, NodeResponse, NodeUpgradeRequest, NodeUpgradeSocket } from "./node_http_api.ts";

/** The peer's address of a Node request. */
export function nodeRemote(req: NodeUpgradeRequest): RemoteAddress {
  return { address: req.socket.remoteAddress ?? "", port: req.socket.remotePort ?? 0 };
}

/** The headers of a Node request, as received (repeated ones appended). Throws on a header the Headers class refuses. */
function headersOf(req: NodeUpgradeRequest): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  if (raw !== undefined) {
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    return headers;
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) { for (const v of value) headers.append(name, v); }
    else if (value !== undefined) headers.append(name, value);
  }
  return headers;
}

/** A Node request body as a web stream (chunks re-viewed as plain Uint8Arrays, not Buffers). */
function streamOf(body: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array<ArrayBuffer>> {
  const chunks = body[Symbol.asyncIterator]();
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(new Uint8Array(value.buffer as ArrayBuffer, value.byteOffset, value.byteLength));
    },
    async cancel() {
      await chunks.return?.();
    },
  });
}

/**
 * A `Request` with a Node request's method, URL and headers (`body`: the
 * request body, for plain HTTP). Throws (a TypeError) on a request the
 * fetch classes refuse: the caller answers 400.
 */
export function requestOf(req: NodeUpgradeRequest, fallbackHost: string, body?: AsyncIterable<Uint8Array>): Request {
  const headers = headersOf(req);
  const scheme = req.socket.encrypted === true ? "https" : "http";
  const target = req.url ?? "/";
  const host = headers.get("host") ?? fallbackHost;
  let url: URL;
  try {
    url = new URL(target.startsWith("/") ? `${scheme}://${host}${target}` : target);
  } catch {
    url = new URL(`${scheme}://${fallbackHost}${target.startsWith("/") ? target : "/"}`);
  }
  const method = req.method ?? "GET";
  const init: RequestInit & { duplex?: "half" } = { method, headers };
  if (body !== undefined && method !== "GET" && method !== "HEAD") {
    init.body = streamOf(body);
    init.duplex = "half"; // a streamed request body (fetch's rule)
  }
  return new Request(url, init);
}

/** Node's reason phrases, once node:http is loaded. */
let reasons: Readonly<Record<number, string | undefined>> = {};

function reasonOf(response: Response): string {
  return response.statusText !== "" ? response.statusText : reasons[response.status] ?? "";
}

/** The headers of a Response as Node wants them (several `set-cookie` lines kept apart). */
function nodeHeaders(headers: Headers, skip: ReadonlySet<string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    if (skip.has(name)) continue;
    const had = out[name];
    out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return out;
}

const NO_SKIP: ReadonlySet<string> = new Set();
/** Headers of a raw answer that fullduplex writes itself. */
const RAW_SKIP: ReadonlySet<string> = new Set(["content-length", "connection", "transfer-encoding"]);

/**
 * Writes `response` to a raw upgrade socket (a refused upgrade: 4xx/5xx),
 * then closes it once written, as ws does for its own refusals.
 */
export async function writeRawResponse(socket: NodeUpgradeSocket, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  let head = `HTTP/1.1 ${response.status} ${reasonOf(response)}\r\n`;
  for (const [name, value] of Object.entries(nodeHeaders(response.headers, RAW_SKIP))) {
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  }
  head += `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  socket.once("finish", () => socket.destroy());
  socket.write(head);
  socket.end(body.byteLength > 0 ? body : undefined);
}

/** Writes a fetch Response to a Node response, streaming its body under Node's backpressure. */
async function writeResponse(res: NodeResponse, response: Response): Promise<void> {
  res.writeHead(response.status, reasonOf(response), nodeHeaders(response.headers, NO_SKIP));
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return; // the client left: stop reading (finally cancels)
      if (!res.write(value)) await new Promise<void>((resolve) => (res.once("drain", resolve), res.once("close", resolve)));
    }
    res.end();
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** Where and how the listener listens. */
export interface NodeListenOptions {
  port: number;
  hostname: string;
  tls?: { cert: string; key: string };
}

/** What the listener does with each request. */
export interface NodeListenHandlers {
  /** Plain HTTP (not an upgrade event). */
  request(req: Request): Promise<Response>;
  /** An `upgrade` event; `host` is the address bound, for a request without a Host header. */
  upgrade(req: NodeUpgradeRequest, socket: NodeUpgradeSocket, head: Uint8Array, host: string): void;
  /** An error of the listener's own (a failed response write). */
  error(err: unknown): void;
}

/** A running `node:http` listener. */
export interface NodeListener {
  /** Resolves once listening (rejects if it could not: port in use…). */
  readonly ready: Promise<void>;
  /** The address bound, once ready (before: the one asked for). */
  bound(): { hostname: string; port: number };
  /** Stops listening and ends the idle HTTP connections; resolves when closed. */
  stop(): Promise<void>;
}

/**
 * Listens with `node:http` (or `node:https` for `tls`). `before` runs once
 * the modules are loaded and before listening (the ws engine loads `ws`
 * there, so a missing package fails `ready` without opening a port).
 */
export function nodeListen(options: NodeListenOptions, handlers: NodeListenHandlers, before: () => Promise<void>): NodeListener {
  let server: NodeHttpServer | undefined;
  let bound = { hostname: options.hostname, port: options.port };
  const fallbackHost = () => `${bound.hostname.includes(":") ? `[${bound.hostname}]` : bound.hostname}:${bound.port}`;

  const onRequest = (req: NodeRequest, res: NodeResponse): void => {
    let request: Request;
    try {
      request = requestOf(req, fallbackHost(), req);
    } catch {
      writeResponse(res, new Response("bad request\n", { status: 400 })).catch(() => res.destroy());
      return;
    }
    handlers.request(request).then((response) => writeResponse(res, response)).catch((err) => {
      handlers.error(err);
      res.destroy();
    });
  };

  const ready = (async () => {
    const http = await loadNodeHttp();
    reasons = http.STATUS_CODES;
    const s = options.tls === undefined
      ? http.createServer(onRequest)
      : (await loadNodeHttps()).createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest);
    await before();
    s.on("upgrade", (req, socket, head) => handlers.upgrade(req, socket, head, fallbackHost()));
    await new Promise<void>((resolve, reject) => {
      s.on("error", reject);
      s.listen(options.port, options.hostname, () => {
        s.off("error", reject);
        resolve();
      });
    });
    s.on("error", (err) => handlers.error(err));
    const addr = s.address();
    if (addr !== null && typeof addr === "object") bound = { hostname: addr.address, port: addr.port };
    server = s;
  })();

  let stopped: Promise<void> | undefined;
  return {
    ready,
    bound: () => bound,
    stop() {
      return (stopped ??= ready.then(
        () =>
          new Promise<void>((resolve) => {
            server!.close(() => resolve());
            server!.closeAllConnections?.(); // idle keep-alive connections would hold close() open
          }),
        () => {}, // never listened: nothing to stop
      ));
    },
  };
}
