/**
 * A raw TCP WebSocket server for tests: it completes the handshake by hand
 * and then does only what the test says (send a close frame with any code,
 * or go silent: read nothing, answer no ping), which no real server does.
 */

import { createServer } from "node:net";
import type { Server as TcpServer, Socket as TcpSocket } from "node:net";
import { createHash } from "node:crypto";
import { closePayload, encodeFrame } from "./raw.ts";

/** One accepted connection after the handshake. */
export interface RawServerPeer {
  tcp: TcpSocket;
  /** The request line and headers the client sent. */
  head: string;
  /** Sends an (unmasked) text frame. */
  sendText(text: string): void;
  /** Sends an (unmasked) close frame, then ends the TCP connection as a server does. */
  closeWith(code: number, reason?: string): void;
}

/** A listening raw server. */
export interface RawServer {
  server: TcpServer;
  port: number;
  url: string;
  peers: RawServerPeer[];
  /** Destroys every connection and stops listening. */
  stop(): Promise<void>;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const encoder = new TextEncoder();

/** Listens on 127.0.0.1:0; `onOpen` runs after each handshake. */
export function listenRawServer(onOpen: (peer: RawServerPeer) => void): Promise<RawServer> {
  const peers: RawServerPeer[] = [];
  const sockets = new Set<TcpSocket>();
  const server = createServer((tcp) => {
    sockets.add(tcp);
    tcp.on("close", () => sockets.delete(tcp));
    tcp.on("error", () => {});
    let head = "";
    const onData = (chunk: Uint8Array) => {
      head += new TextDecoder("latin1").decode(chunk);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      tcp.off("data", onData);
      // Stop reading: after the handshake this server hears nothing.
      tcp.pause();
      head = head.slice(0, end);
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? "";
      const accept = createHash("sha1").update(key + GUID).digest("base64");
      tcp.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      const peer: RawServerPeer = {
        tcp,
        head,
        sendText: (text) => void tcp.write(encodeFrame(0x1, encoder.encode(text), true, false)),
        closeWith: (code, reason = "") => {
          tcp.write(encodeFrame(0x8, closePayload(code, reason), true, false));
          tcp.end();
        },
      };
      peers.push(peer);
      onOpen(peer);
    };
    tcp.on("data", onData);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        server,
        port,
        url: `ws://127.0.0.1:${port}`,
        peers,
        stop: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
