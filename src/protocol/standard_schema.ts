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
 * property with a `validate` function. (The spec's helper types, `Props`,
 * `Result`, `Issue` and the rest, are written out inline: only this
 * interface and {@link InferInput}/{@link InferOutput} are public.)
 *
 * @example
 * ```ts
 * import type { StandardSchemaV1 } from "@fullduplex/fullduplex/protocol";
 * import { z } from "zod";
 * const schema: StandardSchemaV1<{ content: string }> = z.object({ content: z.string() });
 * const mine: StandardSchemaV1<string> = {
 *   "~standard": {
 *     version: 1,
 *     vendor: "mine",
 *     validate: (value) => typeof value === "string" ? { value } : { issues: [{ message: "expected a string", path: ["content"] }] },
 *   },
 * };
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly "~standard": {
    /** The version of the Standard Schema spec: 1. */
    readonly version: 1;
    /** The library that made the schema, e.g. `"zod"`. */
    readonly vendor: string;
    /**
     * Validates a value: success carries the (possibly transformed) `value`,
     * failure carries `issues` (each a `message` and the `path` of keys and
     * indexes from the root). May be async.
     */
    readonly validate: (value: unknown) =>
      | { readonly value: Output; readonly issues?: undefined }
      | {
        readonly issues: ReadonlyArray<
          { readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }
        >;
      }
      | Promise<
        | { readonly value: Output; readonly issues?: undefined }
        | {
          readonly issues: ReadonlyArray<
            { readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }
          >;
        }
      >;
    /** Type-level only (never present at run time): the input and output types. */
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** What `validate` returns (or its promise resolves to). Internal: the public shape is StandardSchemaV1's. */
export type StandardResult<Output> = Awaited<ReturnType<StandardSchemaV1<unknown, Output>["~standard"]["validate"]>>;

/** One validation problem a schema reports. Internal. */
export type StandardIssue = Exclude<StandardResult<unknown>["issues"], undefined>[number];

/**
 * The input type of a Standard Schema.
 *
 * @example
 * ```ts
 * import { unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { InferInput } from "@fullduplex/fullduplex/protocol";
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
 * import { unchecked } from "@fullduplex/fullduplex/protocol";
 * import type { InferOutput } from "@fullduplex/fullduplex/protocol";
 * const ping = unchecked<{ at: number }>();
 * type PingOut = InferOutput<typeof ping>; // { at: number }
 * ```
 */
export type InferOutput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["output"];
