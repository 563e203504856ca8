/**
 * The contract both twins of native_socket.ts implement (the Deno/Bun one
 * and the browser one), and the subset of the standard WebSocket the client
 * uses. Its own file so that neither twin imports the other. Internal.
 *
 * @module
 */

/** The subset of the standard WebSocket the client uses. */
export interface StandardWebSocket {
  readonly readyState: number;
  readonly protocol: string;
  readonly bufferedAmount: number;
  binaryType: string;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

/** What an attempt needs besides the URL. */
export interface NativeSocketOptions {
  protocols: string[];
  headers?: Record<string, string>;
  ca?: string | string[];
}

/** A created socket plus what to release once the handshake is over. */
export interface NativeSocket {
  ws: StandardWebSocket;
  /** Frees per-attempt resources (Deno's HttpClient); call once open or failed. */
  release(): void;
}
