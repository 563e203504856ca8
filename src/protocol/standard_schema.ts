/**
 * The Standard Schema interface (https://standardschema.dev, version 1),
 * written out here so fullduplex depends on no schema library: zod (3.24+
 * and 4), valibot (1.0+), arktype (2.0+) and others implement it, so any of
 * their schemas can describe a message.
 *
 * @module
 */

/**
 * A schema any Standard Schema library produces: it carries a `~standard`
 * property with a `validate` function.
 *
 * @example
 * ```ts
 * import type { StandardSchemaV1 } from "@fullduplex/fullduplex";
 * import { z } from "zod";
 * const schema: StandardSchemaV1<{ content: string }> = z.object({ content: z.string() });
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly "~standard": StandardSchemaProps<Input, Output>;
}

/**
 * The `~standard` property of a {@link StandardSchemaV1}.
 *
 * @example
 * ```ts
 * import type { StandardSchemaProps } from "@fullduplex/fullduplex";
 * const props: StandardSchemaProps<string> = {
 *   version: 1,
 *   vendor: "mine",
 *   validate: (value) => typeof value === "string" ? { value } : { issues: [{ message: "expected a string" }] },
 * };
 * ```
 */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  /** The version of the Standard Schema spec: 1. */
  readonly version: 1;
  /** The library that made the schema, e.g. `"zod"`. */
  readonly vendor: string;
  /** Validates a value: the (possibly transformed) value, or issues. May be async. */
  readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  /** Type-level only: the input and output types. */
  readonly types?: StandardTypes<Input, Output> | undefined;
}

/**
 * The result of `validate`: success carries `value`, failure carries `issues`.
 *
 * @example
 * ```ts
 * import type { StandardResult } from "@fullduplex/fullduplex";
 * const ok: StandardResult<number> = { value: 1 };
 * const failed: StandardResult<number> = { issues: [{ message: "expected a number", path: ["at"] }] };
 * ```
 */
export type StandardResult<Output> = StandardSuccessResult<Output> | StandardFailureResult;

/**
 * A successful validation.
 *
 * @example
 * ```ts
 * import type { StandardSuccessResult } from "@fullduplex/fullduplex";
 * const ok: StandardSuccessResult<number> = { value: 1 };
 * ```
 */
export interface StandardSuccessResult<Output> {
  /** The validated (possibly transformed) value. */
  readonly value: Output;
  /** Absent on success. */
  readonly issues?: undefined;
}

/**
 * A failed validation.
 *
 * @example
 * ```ts
 * import type { StandardFailureResult } from "@fullduplex/fullduplex";
 * const failed: StandardFailureResult = { issues: [{ message: "expected a number" }] };
 * ```
 */
export interface StandardFailureResult {
  /** What is wrong, one issue per problem. */
  readonly issues: ReadonlyArray<StandardIssue>;
}

/**
 * One validation problem.
 *
 * @example
 * ```ts
 * import type { StandardIssue } from "@fullduplex/fullduplex";
 * const issue: StandardIssue = { message: "expected a string", path: ["items", 2, "name"] };
 * ```
 */
export interface StandardIssue {
  /** A human-readable description of the problem. */
  readonly message: string;
  /** Where the problem is: keys and indexes from the root of the value. */
  readonly path?: ReadonlyArray<PropertyKey | StandardPathSegment> | undefined;
}

/**
 * A path segment given as an object.
 *
 * @example
 * ```ts
 * import type { StandardPathSegment } from "@fullduplex/fullduplex";
 * const segment: StandardPathSegment = { key: "name" };
 * ```
 */
export interface StandardPathSegment {
  /** The key of this segment. */
  readonly key: PropertyKey;
}

/**
 * The input and output types of a schema (never present at run time).
 *
 * @example
 * ```ts
 * import type { StandardTypes } from "@fullduplex/fullduplex";
 * const types: StandardTypes<string, number> | undefined = undefined; // only read by the type system
 * ```
 */
export interface StandardTypes<Input = unknown, Output = Input> {
  /** The type the schema accepts. */
  readonly input: Input;
  /** The type the schema produces. */
  readonly output: Output;
}

/**
 * The input type of a Standard Schema.
 *
 * @example
 * ```ts
 * import { unchecked } from "@fullduplex/fullduplex";
 * import type { InferInput } from "@fullduplex/fullduplex";
 * const ping = unchecked<{ at: number }>();
 * type PingIn = InferInput<typeof ping>; // { at: number }
 * ```
 */
export type InferInput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["input"];

/**
 * The output type of a Standard Schema.
 *
 * @example
 * ```ts
 * import { unchecked } from "@fullduplex/fullduplex";
 * import type { InferOutput } from "@fullduplex/fullduplex";
 * const ping = unchecked<{ at: number }>();
 * type PingOut = InferOutput<typeof ping>; // { at: number }
 * ```
 */
export type InferOutput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["output"];
