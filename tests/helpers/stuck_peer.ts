/**
 * A WebSocket peer that reads nothing, in its own process
 * (tests/fixtures/stuck_peer.ts), driven from a test on either runtime.
 */

import { spawnScript } from "./runtime.ts";
import type { Spawned } from "./runtime.ts";

/** A connected peer that reads nothing. */
export interface StuckPeer {
  /** The handshake's HTTP status. */
  status: number;
  /** Sends `n` text frames of `text` (one write). */
  send(text: string, n?: number): void;
  /** Sends `n` empty text frames (one write). */
  sendEmpty(n: number): void;
  /** Sends a ping frame (the server answers; the peer never reads the pong). */
  ping(): void;
  /** Sends a close frame (it still reads nothing, so it never sees the answer). */
  sendClose(code: number): void;
  /** Starts reading (and answering pings and closes). */
  read(): void;
  /** Whether its TCP connection has ended. */
  ended(): boolean;
  /** Drops TCP and ends the process. */
  destroy(): Promise<void>;
  process: Spawned;
}

/** Connects a peer that reads nothing to 127.0.0.1:`port`. */
export async function stuckPeer(port: number, path = "/"): Promise<StuckPeer> {
  const p = spawnScript("deno", "tests/fixtures/stuck_peer.ts", [String(port), path]);
  const status = Number((await p.waitFor(/OPEN (\d+)/))[1]);
  const line = (text: string) => void p.child.stdin!.write(text + "\n");
  return {
    status,
    process: p,
    send: (text, n = 1) => line(n === 1 ? `text ${text}` : `texts ${n} ${text}`),
    sendEmpty: (n) => line(`empty ${n}`),
    sendClose: (code) => line(`close ${code}`),
    ping: () => line("ping"),
    read: () => line("read"),
    ended: () => p.stdout().includes("ENDED"),
    async destroy() {
      line("destroy");
      await p.exited(5000).catch(() => p.kill());
    },
  };
}

/** Something that sends and reports its buffer: a fullduplex Socket. */
interface Sender {
  send(data: Uint8Array): string;
  readonly bufferedAmount: number;
}

/**
 * Sends 64 KiB chunks to `socket` until its queue stays full: sends keep
 * being refused and the engine's buffer stays above half of `limit`.
 * With `nudge` (for Bun) the peer sends a ping after each refusal: Bun's
 * engine writes what it has queued only on socket events, and the kernel's
 * loopback buffers take several MiB before they are full. Not for Deno: a
 * ping it cannot answer (the pong waits behind the queue) stops Deno
 * reading that connection. Bounded: throws after 4,000 chunks.
 */
export async function fillQueue(socket: Sender, peer: StuckPeer, limit: number, nudge: boolean): Promise<void> {
  const chunk = new Uint8Array(64 * 1024);
  let full = 0;
  for (let i = 0; i < 4000; i++) {
    if (socket.send(chunk) !== "dropped") {
      if (i % 8 === 7) await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    if (nudge) peer.ping();
    await new Promise((r) => setTimeout(r, 50));
    full = socket.bufferedAmount >= limit / 2 ? full + 1 : 0;
    if (full === 3) return;
  }
  throw new Error("the peer's queue never stayed full after 4000 chunks");
}
