/**
 * Connections the library has closed whose TCP connection the engine still
 * holds. Internal; pure.
 *
 * Deno's server socket cannot be dropped (no terminate(); the close frame
 * and anything queued before it wait for a peer that reads nothing, and no
 * Deno API releases them: bench/investigate/ABUSE.md, section 5, lists what was
 * tried). When a peer never answers our close, the core runs `close` after
 * `closeTimeout` and forgets the connection, but the engine keeps its TCP
 * connection and its queued data (at most `backpressureLimit`, now counted
 * in real memory) until the peer's TCP ends, which an attacker can postpone
 * indefinitely. So such a connection stays counted here, and against
 * `maxConnections` and `maxConnectionsPerAddress`, until the engine finally
 * reports its close: the harm one address can do is bounded by its cap.
 *
 * @module
 */

/** The lingering connections of one endpoint. */
export class Lingering<C> {
  readonly #set = new Set<C>();
  readonly #release: (conn: C) => void;

  /** `release` gives back what the connection held (its per-address slot) once the engine lets it go. */
  constructor(release: (conn: C) => void) {
    this.#release = release;
  }

  /** `conn` was closed by the library but the engine could not drop it. */
  start(conn: C): void {
    this.#set.add(conn);
  }

  /** Whether `conn` is lingering (its slot is released by `end`, not at close). */
  has(conn: C): boolean {
    return this.#set.has(conn);
  }

  /** The engine reported `conn` closed at last (any later report is ignored). */
  end(conn: C): void {
    if (this.#set.delete(conn)) this.#release(conn);
  }

  /** How many linger now. */
  get size(): number {
    return this.#set.size;
  }
}
