/**
 * Decoding limits and the safety check every decoded message goes through,
 * whatever the codec: nesting depth, string and array lengths, object key
 * counts, and keys that could pollute prototypes.
 *
 * @module
 */

/**
 * Limits on a decoded message. A message over a limit is refused as a
 * decode problem before any schema or handler sees it. `Infinity` turns a
 * limit off (the message size is still bounded by `maxMessageBytes`).
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { DecodeLimits } from "@fullduplex/fullduplex/protocol";
 * const limits: DecodeLimits = { maxDepth: 8, maxStringLength: 4096, forbiddenKeys: "strip" };
 * const p = defineProtocol({ client: { ping: unchecked<{ at: number }>() }, server: {} }, { limits });
 * ```
 */
export interface DecodeLimits {
  /** Deepest nesting of objects and arrays (the top-level object is depth 1). Default 32. */
  maxDepth?: number;
  /** Longest string, in UTF-16 code units (keys included). Default 65536. */
  maxStringLength?: number;
  /** Most elements in one array. Default 10000. */
  maxArrayLength?: number;
  /** Most keys in one object. Default 1000. */
  maxObjectKeys?: number;
  /**
   * What to do with the keys `__proto__`, `constructor` and `prototype`,
   * which pollute prototypes when code later merges or assigns the message
   * into other objects: `"reject"` the message (default) or `"strip"` the
   * keys and carry on.
   */
  forbiddenKeys?: "reject" | "strip";
}

/**
 * {@link DecodeLimits} with every default applied (what `protocol.limits`
 * holds). Internal: public signatures spell it `Readonly<Required<DecodeLimits>>`.
 */
export type ResolvedDecodeLimits = Readonly<Required<DecodeLimits>>;

/** The default decoding limits (documented on {@link DecodeLimits}; tests read them here). */
export const DEFAULT_DECODE_LIMITS: ResolvedDecodeLimits = Object.freeze({
  maxDepth: 32,
  maxStringLength: 65_536,
  maxArrayLength: 10_000,
  maxObjectKeys: 1_000,
  forbiddenKeys: "reject",
});

function limit(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (typeof n !== "number" || Number.isNaN(n) || n < 1 || (n !== Infinity && !Number.isInteger(n))) {
    throw new RangeError(`limits.${name} must be a whole number of at least 1, or Infinity; got ${String(n)}`);
  }
  return n;
}

/** Applies the defaults and throws a RangeError naming a bad limit. */
export function resolveDecodeLimits(limits: DecodeLimits = {}): ResolvedDecodeLimits {
  const forbiddenKeys = limits.forbiddenKeys ?? DEFAULT_DECODE_LIMITS.forbiddenKeys;
  if (forbiddenKeys !== "reject" && forbiddenKeys !== "strip") {
    throw new TypeError(`limits.forbiddenKeys must be "reject" or "strip", got ${JSON.stringify(forbiddenKeys)}`);
  }
  return Object.freeze({
    maxDepth: limit("maxDepth", limits.maxDepth, DEFAULT_DECODE_LIMITS.maxDepth),
    maxStringLength: limit("maxStringLength", limits.maxStringLength, DEFAULT_DECODE_LIMITS.maxStringLength),
    maxArrayLength: limit("maxArrayLength", limits.maxArrayLength, DEFAULT_DECODE_LIMITS.maxArrayLength),
    maxObjectKeys: limit("maxObjectKeys", limits.maxObjectKeys, DEFAULT_DECODE_LIMITS.maxObjectKeys),
    forbiddenKeys,
  });
}

/** Whether a key may pollute a prototype when a message is merged into another object. */
export function isForbiddenKey(key: string): boolean {
  return key === "__proto__" || key === "constructor" || key === "prototype";
}

/** How much of a key an error message quotes, at most. */
const KEY_CHARS = 40;

/** Most path segments an error message shows: the first few and the last ones. */
const PATH_HEAD = 3;
const PATH_TAIL = 5;

/**
 * Formats a path for error messages: `items[2].name`. Long keys are cut and
 * a deep path shows its first and last segments around `…`, so a path
 * never grows with the input.
 */
export function formatPath(path: ReadonlyArray<string | number>): string {
  if (path.length > PATH_HEAD + PATH_TAIL + 1) {
    const head = formatPath(path.slice(0, PATH_HEAD));
    const tail = formatPath(path.slice(-PATH_TAIL));
    return `${head}…${tail}`;
  }
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key) && key.length <= KEY_CHARS) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(key.length > KEY_CHARS ? `${key.slice(0, KEY_CHARS)}…` : key)}]`;
  }
  return out;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks a decoded value against the limits, iteratively (no recursion, so
 * no depth can overflow the stack). Strips forbidden keys in place when
 * asked to. Returns `undefined` when the value is acceptable, else a short
 * description of the first problem with its path (never the offending value).
 *
 * Objects other than plain objects and arrays (a `Uint8Array` or `Date` a
 * binary codec produced) are leaves.
 */
export function checkDecodedValue(root: unknown, limits: ResolvedDecodeLimits): string | undefined {
  if (typeof root === "string") {
    return root.length > limits.maxStringLength ? `string longer than ${limits.maxStringLength} characters` : undefined;
  }
  if (typeof root !== "object" || root === null) return undefined;
  if (limits.maxDepth <= RECURSION_SAFE_DEPTH) {
    // The common case: a bounded depth makes recursion safe, and recursion
    // allocates nothing for a message that passes.
    const failure = walk(root, 1, limits);
    return failure === undefined
      ? undefined
      : `${failure.problem} at ${failure.path.length === 0 ? "the message" : formatPath(failure.path)}`;
  }
  return checkIteratively(root, limits);
}

/** Deepest `maxDepth` checked by recursion; beyond it an explicit stack is used. */
const RECURSION_SAFE_DEPTH = 1000;

interface Failure {
  problem: string;
  /** Built while unwinding, so only a failing message pays for it. */
  path: (string | number)[];
}

function childFailure(child: unknown, key: string | number, depth: number, limits: ResolvedDecodeLimits): Failure | undefined {
  let failure: Failure | undefined;
  if (typeof child === "string") {
    if (child.length > limits.maxStringLength) failure = { problem: `string longer than ${limits.maxStringLength} characters`, path: [] };
  } else if (typeof child === "object" && child !== null) failure = walk(child, depth + 1, limits);
  if (failure !== undefined) failure.path.unshift(key);
  return failure;
}

function walk(value: object, depth: number, limits: ResolvedDecodeLimits): Failure | undefined {
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) return undefined;
  if (depth > limits.maxDepth) return { problem: `nesting deeper than ${limits.maxDepth} levels`, path: [] };
  if (isArray) {
    if (value.length > limits.maxArrayLength) return { problem: `array longer than ${limits.maxArrayLength} elements`, path: [] };
    for (let i = 0; i < value.length; i++) {
      const failure = childFailure(value[i], i, depth, limits);
      if (failure !== undefined) return failure;
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const own = Object.keys(record);
  if (own.length > limits.maxObjectKeys) return { problem: `object with more than ${limits.maxObjectKeys} keys`, path: [] };
  for (const key of own) {
    if (key.length > limits.maxStringLength) return { problem: `key longer than ${limits.maxStringLength} characters`, path: [] };
    if (isForbiddenKey(key)) {
      if (limits.forbiddenKeys === "reject") return { problem: `forbidden key "${key}"`, path: [key] };
      delete record[key];
      continue;
    }
    const failure = childFailure(record[key], key, depth, limits);
    if (failure !== undefined) return failure;
  }
  return undefined;
}

/** The same check with an explicit stack, for limits deep enough to overflow recursion. */
function checkIteratively(root: object, limits: ResolvedDecodeLimits): string | undefined {
  // Nodes are kept in parallel arrays with a parent index, so the path of a
  // problem can be rebuilt when needed without building paths for every node.
  const values: object[] = [root];
  const parents: number[] = [-1];
  const keys: (string | number)[] = [""];
  const depths: number[] = [1];
  const pathOf = (index: number, last?: string | number): string => {
    const path: (string | number)[] = last === undefined ? [] : [last];
    for (let i = index; i > 0; i = parents[i]) path.unshift(keys[i]);
    return path.length === 0 ? "the message" : formatPath(path);
  };
  const stack: number[] = [0];
  let index = 0;
  let depth = 1;
  // One closure per check, not per node.
  const visit = (child: unknown, key: string | number): string | undefined => {
    if (typeof child === "string") {
      if (child.length > limits.maxStringLength) return `string longer than ${limits.maxStringLength} characters at ${pathOf(index, key)}`;
    } else if (typeof child === "object" && child !== null && (Array.isArray(child) || isPlainObject(child))) {
      stack.push(values.length);
      values.push(child);
      parents.push(index);
      keys.push(key);
      depths.push(depth + 1);
    }
    return undefined;
  };
  while (stack.length > 0) {
    index = stack.pop()!;
    depth = depths[index];
    const value = values[index];
    if (depth > limits.maxDepth) return `nesting deeper than ${limits.maxDepth} levels at ${pathOf(index)}`;
    if (Array.isArray(value)) {
      if (value.length > limits.maxArrayLength) return `array longer than ${limits.maxArrayLength} elements at ${pathOf(index)}`;
      for (let i = 0; i < value.length; i++) {
        const problem = visit(value[i], i);
        if (problem) return problem;
      }
    } else if (isPlainObject(value)) {
      const own = Object.keys(value);
      if (own.length > limits.maxObjectKeys) return `object with more than ${limits.maxObjectKeys} keys at ${pathOf(index)}`;
      for (const key of own) {
        if (key.length > limits.maxStringLength) return `key longer than ${limits.maxStringLength} characters at ${pathOf(index)}`;
        if (isForbiddenKey(key)) {
          if (limits.forbiddenKeys === "reject") return `forbidden key "${key}" at ${pathOf(index, key)}`;
          delete value[key];
          continue;
        }
        const problem = visit(value[key], key);
        if (problem) return problem;
      }
    }
  }
  return undefined;
}
