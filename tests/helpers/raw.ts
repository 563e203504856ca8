/**
 * A raw TCP WebSocket peer for tests: hand-written handshakes and frames,
 * so tests can do what no well-behaved client does (stay silent, send
 * unmasked or oversized frames, never answer a close).
 */

import { connect as tcpConnect } from "node:net";
import type { Socket as TcpSocket } from "node:net";

/** A parsed frame from the server. */
export interface Frame {
  fin: boolean;
  /** The RSV1-3 bits (4 = RSV1: a compressed message under permessage-deflate). */
  rsv: number;
  opcode: number;
  payload: Uint8Array;
}

/** A connected raw peer. */
export interface RawPeer {
  /** The HTTP response head (status line and headers). */
  head: string;
  /** Status code of the handshake response. */
  status: number;
  /** Frames received so far (after the handshake). */
  frames: Frame[];
  /** Sends a frame; masked unless `mask: false`. */
  sendFrame(opcode: number, payload: Uint8Array | string, options?: { fin?: boolean; mask?: boolean; rsv?: number }): void;
  /** Writes raw bytes. */
  write(bytes: Uint8Array): void;
  /** Resolves when a frame matching `pick` has arrived, or rejects after `ms`. */
  waitFrame(pick: (f: Frame) => boolean, ms?: number): Promise<Frame>;
  /** Resolves when the TCP connection has ended. */
  ended: Promise<void>;
  /** Whether the TCP connection has ended. */
  isEnded(): boolean;
  /** Destroys the TCP connection (an abrupt disconnect). */
  destroy(): void;
  /**
   * Stops reading from TCP (the kernel buffers fill, then the server's send
   * buffer grows): a peer that stops reading.
   */
  pause(): void;
  /** Reads again after pause(). */
  resume(): void;
  /** Bytes of frame data received so far (after the handshake). */
  receivedBytes(): number;
  /** If false, the peer never answers pings (default true: it answers). */
  answerPings: boolean;
  /** If false, the peer never answers a close frame (default true: it echoes it). */
  answerClose: boolean;
}

const encoder = new TextEncoder();

/** Encodes one client frame. */
export function encodeFrame(opcode: number, payload: Uint8Array, fin = true, mask = true, rsv = 0): Uint8Array {
  const len = payload.length;
  const header: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126) header.push(m | len);
  else if (len < 65536) header.push(m | 126, len >> 8, len & 255);
  else {
    header.push(m | 127, 0, 0, 0, 0);
    header.push((len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255);
  }
  const key = mask ? crypto.getRandomValues(new Uint8Array(4)) : new Uint8Array(0);
  const out = new Uint8Array(header.length + key.length + len);
  out.set(header, 0);
  out.set(key, header.length);
  const body = out.subarray(header.length + key.length);
  for (let i = 0; i < len; i++) body[i] = mask ? payload[i] ^ key[i & 3] : payload[i];
  return out;
}

/** A close frame payload: code + reason. */
export function closePayload(code: number, reason = ""): Uint8Array {
  const r = encoder.encode(reason);
  const out = new Uint8Array(2 + r.length);
  out[0] = code >> 8;
  out[1] = code & 255;
  out.set(r, 2);
  return out;
}

/** Reads the code of a close frame payload (undefined when empty). */
export function closeCodeOf(frame: Frame): number | undefined {
  return frame.payload.length >= 2 ? (frame.payload[0] << 8) | frame.payload[1] : undefined;
}

/**
 * Opens a TCP connection and sends a handshake with the given header
 * overrides (a header set to `null` is left out). Resolves once the HTTP
 * response head has arrived.
 */
export function rawConnect(
  port: number,
  headers: Record<string, string | null> = {},
  path = "/",
  init: { answerPings?: boolean; answerClose?: boolean; method?: string } = {},
): Promise<RawPeer> {
  const base: Record<string, string | null> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    ...headers,
  };
  const lines = Object.entries(base).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}`);
  const request = `${init.method ?? "GET"} ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const tcp: TcpSocket = tcpConnect(port, "127.0.0.1");
    let buffer = new Uint8Array(0);
    let headDone = false;
    let endedFlag = false;
    let received = 0;
    const listeners = new Set<() => void>();
    let resolveEnded!: () => void;
    const ended = new Promise<void>((r) => (resolveEnded = r));
    const peer: RawPeer = {
      head: "",
      status: 0,
      frames: [],
      // Set before the handshake: a close or ping may arrive with the 101.
      answerPings: init.answerPings ?? true,
      answerClose: init.answerClose ?? true,
      sendFrame(opcode, payload, options = {}) {
        const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
        tcp.write(encodeFrame(opcode, bytes, options.fin ?? true, options.mask ?? true, options.rsv ?? 0));
      },
      write(bytes) {
        tcp.write(bytes);
      },
      waitFrame(pick, ms = 5000) {
        return new Promise((res, rej) => {
          const check = () => {
            const f = peer.frames.find(pick);
            if (f) {
              done();
              res(f);
            } else if (endedFlag) {
              done();
              rej(new Error("connection ended before the expected frame arrived"));
            }
          };
          const timer = setTimeout(() => {
            done();
            rej(new Error(`no matching frame within ${ms} ms (got opcodes ${peer.frames.map((f) => f.opcode).join(",")})`));
          }, ms);
          const done = () => {
            clearTimeout(timer);
            listeners.delete(check);
          };
          listeners.add(check);
          check();
        });
      },
      ended,
      isEnded: () => endedFlag,
      destroy() {
        tcp.destroy();
      },
      pause() {
        tcp.pause();
      },
      resume() {
        tcp.resume();
      },
      receivedBytes: () => received,
    };
    const parseFrames = () => {
      // Walks the buffer with an offset and trims it once: a burst of
      // thousands of frames must not copy the rest of the buffer per frame.
      let at = 0;
      while (buffer.length - at >= 2) {
        const fin = (buffer[at] & 0x80) !== 0;
        const rsv = (buffer[at] >> 4) & 0x07;
        const opcode = buffer[at] & 0x0f;
        let len = buffer[at + 1] & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buffer.length - at < 4) break;
          len = (buffer[at + 2] << 8) | buffer[at + 3];
          off = 4;
        } else if (len === 127) {
          if (buffer.length - at < 10) break;
          len = Number(new DataView(buffer.buffer, buffer.byteOffset + at + 2, 8).getBigUint64(0));
          off = 10;
        }
        if (buffer.length - at < off + len) break;
        const payload = buffer.slice(at + off, at + off + len);
        at += off + len;
        peer.frames.push({ fin, rsv, opcode, payload });
        if (opcode === 0x9 && peer.answerPings && !endedFlag) tcp.write(encodeFrame(0xa, payload));
        if (opcode === 0x8 && peer.answerClose && !endedFlag) tcp.write(encodeFrame(0x8, payload.slice(0, 2)));
      }
      if (at > 0) buffer = buffer.slice(at);
    };
    tcp.on("data", (chunk: Uint8Array) => {
      const next = new Uint8Array(buffer.length + chunk.length);
      next.set(buffer);
      next.set(chunk, buffer.length);
      buffer = next;
      if (headDone) received += chunk.length;
      if (!headDone) {
        const text = new TextDecoder("latin1").decode(buffer);
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) return;
        headDone = true;
        peer.head = text.slice(0, end);
        peer.status = Number(peer.head.split(" ")[1]);
        buffer = buffer.slice(end + 4);
        resolve(peer);
      }
      parseFrames();
      for (const l of listeners) l();
    });
    const finish = () => {
      if (endedFlag) return;
      endedFlag = true;
      resolveEnded();
      for (const l of listeners) l();
      if (!headDone) reject(new Error("connection closed before a handshake response"));
    };
    tcp.on("close", finish);
    tcp.on("error", finish);
    tcp.on("connect", () => tcp.write(request));
  });
}
