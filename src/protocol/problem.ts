/**
 * What went wrong with a received message, in words that are safe to send
 * back to the peer: every piece of the input that is quoted is capped.
 *
 * @module
 */

import { MessageDecodeError } from "../shared/errors.ts";
import { formatPath } from "./limits.ts";
import type { StandardIssue } from "./standard_schema.ts";

/**
 * One validation issue: where and what.
 *
 * @example
 * ```ts
 * import type { ProtocolIssue, ProtocolProblem } from "@fullduplex/fullduplex/protocol";
 * function fields(problem: ProtocolProblem): string[] {
 *   return problem.issues.map((issue: ProtocolIssue) => `${issue.path}: ${issue.message}`);
 * }
 * ```
 */
export interface ProtocolIssue {
  /** Where the problem is, e.g. `"items[2].name"`; `""` for the message itself. */
  readonly path: string;
  /** What is wrong, e.g. `"expected string, received number"`. */
  readonly message: string;
}

/**
 * Why a received message was refused before reaching a handler.
 *
 * - `"decode"`: the codec could not decode it, or it broke a decoding limit
 *   (depth, sizes, a forbidden key). The router closes with 1007 for these.
 * - `"validation"`: it decoded but is not a message of the protocol: not an
 *   object, no or an unknown discriminator, or the schema's issues. The
 *   router closes with 1008 for these.
 *
 * @example
 * ```ts
 * import type { ProtocolProblem } from "@fullduplex/fullduplex/protocol";
 * function log(problem: ProtocolProblem) {
 *   console.warn(problem.kind, problem.type ?? "(no type)", problem.message);
 * }
 * ```
 */
export interface ProtocolProblem {
  /** `"decode"` or `"validation"`. */
  readonly kind: "decode" | "validation";
  /** One line naming the field and the problem; quotes at most a short prefix of any input. */
  readonly message: string;
  /** The message's type when it was known (cut to 40 characters). */
  readonly type?: string;
  /** The schema's issues (at most 10), for `"validation"` problems that came from a schema. */
  readonly issues: readonly ProtocolIssue[];
  /** The error a codec or schema threw, if any (for logs; never sent). */
  readonly cause?: unknown;
}

/** How many characters of a message type an error repeats. */
const TYPE_CHARS = 40;
/** How long one issue's text may be. */
const ISSUE_CHARS = 200;
/** How many issues are kept. */
const MAX_ISSUES = 10;

/** Cuts text to `max` characters, marking the cut with `…`. */
export function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A message type as error messages show it: JSON-quoted and capped. */
export function showType(type: string): string {
  return JSON.stringify(cap(type, TYPE_CHARS));
}

/** A decode problem from what a codec threw. */
export function decodeProblem(codecName: string, err: unknown): ProtocolProblem {
  // A MessageDecodeError's message is meant for the peer (the JSON codec's
  // reads "invalid JSON: …"); anything else a codec throws gets a prefix.
  // Both are capped: a foreign codec may quote its whole input.
  const raw = err instanceof Error ? err.message : String(err);
  const message = err instanceof MessageDecodeError ? cap(raw, 300) : `invalid ${codecName}: ${cap(raw, 200)}`;
  return { kind: "decode", message, issues: [], cause: err };
}

/** A validation problem without schema issues. */
export function validationProblem(message: string, type?: string): ProtocolProblem {
  return { kind: "validation", message, type: type === undefined ? undefined : cap(type, TYPE_CHARS), issues: [] };
}

function pathKey(segment: PropertyKey | { readonly key: PropertyKey }): string | number {
  const key = typeof segment === "object" && segment !== null ? segment.key : segment;
  return typeof key === "number" ? key : String(key);
}

/** A validation problem from a schema's issues: `invalid "greeting" message: content: expected string`. */
export function issuesProblem(type: string, issues: ReadonlyArray<StandardIssue>): ProtocolProblem {
  const kept: ProtocolIssue[] = [];
  for (const issue of issues.slice(0, MAX_ISSUES)) {
    const path = issue.path ? formatPath(issue.path.map(pathKey)) : "";
    kept.push({ path, message: cap(String(issue.message), ISSUE_CHARS) });
  }
  const first = kept[0] ?? { path: "", message: "rejected by its schema" };
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? "s" : ""})` : "";
  const where = first.path === "" ? "" : `${first.path}: `;
  return {
    kind: "validation",
    message: `invalid ${showType(type)} message: ${where}${first.message}${more}`,
    type: cap(type, TYPE_CHARS),
    issues: kept,
  };
}
