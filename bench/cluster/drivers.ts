/**
 * How a cluster load generator talks to a server: plain WebSockets (the
 * fullduplex targets: one text frame per publication), socket.io-client
 * with the websocket transport only (the socket.io targets: `emit("p")` to
 * publish, `on("m")` to receive), or the same socket.io protocol spoken by
 * hand over a plain WebSocket (`socketio-raw`: a control that shows what
 * socket.io-client's own cost does to socket.io's figures). Everything above
 * a driver (opening, checking, timing) is the same for every target.
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

/** The drivers by name. */
export type DriverName = "ws" | "socketio" | "socketio-raw";

/** Opens links of one kind. */
export interface Driver {
  readonly name: DriverName;
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

/** A WebSocket with compression off (Bun's client offers permessage-deflate by default). */
function openWebSocket(target: string): WebSocket {
  return isBun
    ? new (WebSocket as unknown as new (url: string, options: object) => WebSocket)(target, { perMessageDeflate: false })
    : new WebSocket(target);
}

/** Plain WebSocket: the publisher connects to `/?pub`, each text frame is one publication. */
export const wsDriver: Driver = {
  name: "ws",
  open(url, role, timeoutMs) {
    const target = role === "publisher" ? `${url}/${PUBLISHER_QUERY}` : `${url}/`;
    const ws = openWebSocket(target);
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

/**
 * The socket.io protocol (engine.io 4, socket.io 5) by hand: `0{…}` open →
 * send `40` (join namespace "/") → `40{…}` connected; events arrive as
 * `42["m",data]` and are sent as `42["p",data]`; the server's ping `2` is
 * answered `3`. What socket.io-client does on the wire for this job, without
 * its layers (engine.io and socket.io objects, emitters, debug calls).
 */
export const socketIoRawDriver: Driver = {
  name: "socketio-raw",
  open(url, role, timeoutMs) {
    const target = `${url}/socket.io/?EIO=4&transport=websocket${role === "publisher" ? "&pub=1" : ""}`;
    const ws = openWebSocket(target);
    let closing = false;
    const link: Link = {
      onText: null,
      onLost: null,
      send: (text) => ws.send(`42${JSON.stringify(["p", text])}`),
      close() {
        closing = true;
        if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
        const closed = new Promise<void>((resolve) => ws.addEventListener("close", () => resolve()));
        ws.close(1000);
        return within(closed, 3000, "close").catch(() => {});
      },
    };
    ws.onclose = (e: CloseEvent) => {
      if (!closing) link.onLost?.(`closed (${e.code})`);
    };
    return within(
      new Promise<Link>((resolve, reject) => {
        ws.onerror = () => reject(new Error(`${target} failed to open`));
        ws.onmessage = (e: MessageEvent) => {
          const text = e.data as string;
          if (text.startsWith("0")) ws.send("40"); // engine.io open → socket.io CONNECT to "/"
          else if (text.startsWith("40")) {
            ws.onmessage = (e: MessageEvent) => {
              const packet = e.data as string;
              if (packet.startsWith("42")) {
                const [event, data] = JSON.parse(packet.slice(2)) as [string, string];
                if (event === "m") link.onText?.(data);
              } else if (packet === "2") ws.send("3");
            };
            resolve(link);
          } else if (text.startsWith("44")) reject(new Error(`${target} refused the connection: ${text}`));
        };
      }),
      timeoutMs,
      target,
    );
  },
};

/** The driver by name. */
export function driverNamed(name: DriverName): Driver {
  return name === "ws" ? wsDriver : name === "socketio" ? socketIoDriver : socketIoRawDriver;
}
