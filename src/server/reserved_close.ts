/**
 * The one way for the library's own layers (the typed protocol router) to
 * close a socket with a code user code may not send (1007, 1008): user
 * code gets `socket.close()`, limited to 1000 and 3000–4999. The key is a
 * symbol that only this module holds and mod.ts does not export, so the
 * method is unreachable through the package's entry points. Internal.
 *
 * @module
 */

/** The key of Socket's method that closes with a library-only code. */
export const RESERVED_CLOSE: unique symbol = Symbol("fullduplex.reservedClose");

/** Something that closes with a library-only code: a server Socket. */
export interface ReservedCloser {
  /** Closes with `code` (any valid close code); the reason is cut to 123 bytes. */
  [RESERVED_CLOSE](code: number, reason: string): void;
}

/**
 * Closes `socket` with a code only the library may send; the reason is cut
 * to 123 bytes. Does nothing once the socket is closing.
 */
export function closeWithReservedCode(socket: ReservedCloser, code: number, reason: string): void {
  socket[RESERVED_CLOSE](code, reason);
}
