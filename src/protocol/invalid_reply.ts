/**
 * `InvalidReplyError`: the `"invalid"` failure of a typed request, whose
 * reply arrived but is not what the protocol (or the request's `reply`
 * option) allows. The other failures (timeout, closed, dropped) come from
 * the client's request table, src/client/pending_requests.ts.
 *
 * @module
 */

import { RequestError } from "../shared/errors.ts";
import type { ProtocolProblem } from "./problem.ts";

/**
 * A typed `request()` got a reply that is not a valid server message of the
 * protocol, or not of a type its `reply` option accepts. `problem` says
 * which field is wrong and why; `reason` is `"invalid"`.
 *
 * @example
 * ```ts
 * import { connectTyped, defineProtocol, InvalidReplyError, unchecked } from "@fullduplex/fullduplex/protocol";
 * const chat = defineProtocol({
 *   client: { greeting: unchecked<{ content: string }>() },
 *   server: { response: unchecked<{ content: string }>() },
 * });
 * const ws = await connectTyped("ws://localhost:8080", chat);
 * try {
 *   await ws.request({ type: "greeting", content: "hi" }, { reply: "response" });
 * } catch (err) {
 *   if (err instanceof InvalidReplyError) console.log(err.problem.message);
 * }
 * ```
 */
export class InvalidReplyError extends RequestError {
  /** What is wrong with the reply. */
  readonly problem: ProtocolProblem;
  /** Creates the error for request `id`. */
  constructor(id: string, problem: ProtocolProblem) {
    super("invalid", `request ${id} got an invalid reply: ${problem.message}`, { cause: problem.cause });
    this.problem = problem;
  }
}
