/**
 * What every benchmark server reads from its command line: the scenario it
 * serves. A server runs one scenario per process so no target pays a
 * per-message branch the others do not.
 *
 * - `echo`: every message back as it came (text as text, binary as binary);
 * - `json`: text parsed as JSON and re-encoded;
 * - `fanout`: a connection to `/?pub` publishes each message to every
 *   other connection (the subscribers, topic {@link TOPIC}). A query, not a
 *   path: crossws puts each path in its own namespace, and publishes only
 *   within one.
 *
 * Each server listens on 127.0.0.1, port 0, and prints `READY <port>` once.
 *
 * @module
 */

/** The scenarios a server can run. */
export type ServerMode = "echo" | "json" | "fanout";

/** The topic fan-out subscribers join. */
export const TOPIC = "bench";

/** The query string of the fan-out publisher's connection URL. */
export const PUBLISHER_QUERY = "?pub";

/** Whether a request URL is the fan-out publisher's. */
export function isPublisher(url: string): boolean {
  return url.endsWith(PUBLISHER_QUERY);
}

/** The mode named by the first command-line argument (default `echo`). */
export function serverMode(args: readonly string[]): ServerMode {
  const mode = args[0] ?? "echo";
  if (mode !== "echo" && mode !== "json" && mode !== "fanout") throw new RangeError(`unknown mode ${mode}: use echo, json or fanout`);
  return mode;
}

/** The line the runner waits for. */
export function readyLine(port: number, extra = ""): string {
  return `READY ${port}${extra === "" ? "" : " " + extra}`;
}
