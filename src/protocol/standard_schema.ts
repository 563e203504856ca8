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

/** The `~standard` property of a {@link StandardSchemaV1}. */
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

/** The result of `validate`: success carries `value`, failure carries `issues`. */
export type StandardResult<Output> = StandardSuccessResult<Output> | StandardFailureResult;

/** A successful validation. */
export interface StandardSuccessResult<Output> {
  /** The validated (possibly transformed) value. */
  readonly value: Output;
  /** Absent on success. */
  readonly issues?: undefined;
}

/** A failed validation. */
export interface StandardFailureResult {
  /** What is wrong, one issue per problem. */
  readonly issues: ReadonlyArray<StandardIssue>;
}

/** One validation problem. */
export interface StandardIssue {
  /** A human-readable description of the problem. */
  readonly message: string;
  /** Where the problem is: keys and indexes from the root of the value. */
  readonly path?: ReadonlyArray<PropertyKey | StandardPathSegment> | undefined;
}

/** A path segment given as an object. */
export interface StandardPathSegment {
  /** The key of this segment. */
  readonly key: PropertyKey;
}

/** The input and output types of a schema (never present at run time). */
export interface StandardTypes<Input = unknown, Output = Input> {
  /** The type the schema accepts. */
  readonly input: Input;
  /** The type the schema produces. */
  readonly output: Output;
}

/** The input type of a Standard Schema. */
export type InferInput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["input"];

/** The output type of a Standard Schema. */
export type InferOutput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["output"];
