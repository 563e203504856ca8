/**
 * How a cluster load generator talks to a server: plain WebSockets (the
 * fullduplex targets: one text frame per publication), or socket.io-client
 * with the websocket transport only (the socket.io targets: `emit("p")` to
 * publish, `on("m")` to receive). Everything above a driver (opening,
 * checking, timing) is the same for every target.
 *
 * @module
 */

import { io } from "socket.io-client";
import { PUBLISHER_QUERY } from "../servers/mode.ts";

/** One connection, as the load generator uses it. */
export interface Link {
  /** Called with every text delivery. */
  onText: ((text: string) => void) | null;
  /** Called once if the connection ends while the run still wants it. */
  onLost: ((why: string) => void) | null;
  send(text: string): void;
  /** Closes; resolves when closed or after a bounded wait. */
  close(): Promise<void>;
}

/** Opens links of one kind. */
export interface Driver {
  readonly name: "ws" | "socketio";
  /** Opens a subscriber or the publisher; rejects if it does not open within `timeoutMs`. */
  open(url: string, role: "subscriber" | "publisher", timeoutMs: number): Promise<Link>;
}

const isBun = typeof (globalThis as Record<string, unknown>).Bun === "object";

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not open within ${ms} ms`)), ms))),
  ]);
}

/** Plain WebSocket, compression off (Bun's client offers permessage-deflate by default). */
export const wsDriver: Driver = {
  name: "ws",
  open(url, role, timeoutMs) {
    const target = role === "publisher" ? `${url}/${PUBLISHER_QUERY}` : `${url}/`;
    const ws = isBun
      ? new (WebSocket as unknown as new (url: string, options: object) => WebSocket)(target, { perMessageDeflate: false })
      : new WebSocket(target);
    let closing = false;
    const link: Link = {
      onText: null,
      onLost: null,
      send: (text) => ws.send(text),
      close() {
        closing = true;
        if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
        const closed = new Promise<void>((resolve) => ws.addEventListener("close", () => resolve()));
        ws.close(1000);
        return within(closed, 3000, "close").catch(() => {});
      },
    };
    ws.onmessage = (e: MessageEvent) => link.onText?.(e.data as string);
    ws.onclose = (e: CloseEvent) => {
      if (!closing) link.onLost?.(`closed (${e.code})`);
    };
    return within(
      new Promise<Link>((resolve, reject) => {
        ws.onopen = () => resolve(link);
        ws.onerror = () => reject(new Error(`${target} failed to open`));
      }),
      timeoutMs,
      target,
    );
  },
};

/** socket.io-client, websocket transport only, one Manager (one engine.io connection) per link, no reconnection. */
export const socketIoDriver: Driver = {
  name: "socketio",
  open(url, role, timeoutMs) {
    const socket = io(url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      query: role === "publisher" ? { pub: "1" } : {},
    });
    let closing = false;
    const link: Link = {
      onText: null,
      onLost: null,
      send: (text) => void socket.emit("p", text),
      close() {
        closing = true;
        socket.disconnect();
        return Promise.resolve();
      },
    };
    socket.on("m", (text: string) => link.onText?.(text));
    socket.on("disconnect", (reason: string) => {
      if (!closing) link.onLost?.(`disconnected (${reason})`);
    });
    return within(
      new Promise<Link>((resolve, reject) => {
        socket.once("connect", () => resolve(link));
        socket.once("connect_error", (err: Error) => reject(new Error(`${url} failed to open: ${err.message}`)));
      }),
      timeoutMs,
      url,
    ).catch((err) => {
      socket.disconnect();
      throw err;
    });
  },
};

/** The driver by name. */
export function driverNamed(name: "ws" | "socketio"): Driver {
  return name === "ws" ? wsDriver : socketIoDriver;
}
