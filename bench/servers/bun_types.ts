/**
 * The few parts of Bun's API the benchmark's Bun servers use, typed
 * structurally so `deno check` needs no Bun types.
 *
 * @module
 */

/** A Bun ServerWebSocket, as far as the benchmarks use it. */
export interface BunWs<T> {
  data: T;
  binaryType?: string;
  send(data: string | Uint8Array | ArrayBuffer, compress?: boolean): number;
  subscribe(topic: string): void;
}

/** A running Bun server, as far as the benchmarks use it. */
export interface BunServerLike {
  readonly port: number;
  upgrade(req: Request, options?: { data?: unknown }): boolean;
  publish(topic: string, data: string | Uint8Array | ArrayBuffer): number;
}

/** Bun.serve's options, as far as the benchmarks use them. */
export interface BunServeLike {
  port: number;
  hostname: string;
  fetch(req: Request, server: BunServerLike): Response | undefined | Promise<Response | undefined>;
  websocket: Record<string, unknown>;
}

/** The `Bun` global. */
export function bunGlobal(): { serve(options: BunServeLike): BunServerLike; argv: string[] } {
  return (globalThis as unknown as { Bun: { serve(options: BunServeLike): BunServerLike; argv: string[] } }).Bun;
}

/** Command-line arguments after the script name (Bun.argv = [bun, script, ...]). */
export function bunArgs(): string[] {
  return bunGlobal().argv.slice(2);
}
