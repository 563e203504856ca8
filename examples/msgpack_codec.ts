/**
 * A MessagePack codec for typed protocols, built on @msgpack/msgpack. It is
 * an example, not part of the core: fullduplex itself imports no codec
 * package, so only apps that import this file need the dependency.
 *
 *   import { msgpackCodec } from "./examples/msgpack_codec.ts";
 *   const chat = defineProtocol({ client: {…}, server: {…} }, { codec: msgpackCodec });
 *
 * Messages go out as binary frames. The decoder's own size limits are set
 * from the protocol's limits, so an oversized string, array or map is
 * refused while decoding; fullduplex then checks depth, exact sizes and
 * forbidden keys on the decoded value as for any codec. @msgpack/msgpack
 * itself refuses a `__proto__` map key.
 *
 * @module
 */

import { decode, encode } from "@msgpack/msgpack";
import { MessageDecodeError } from "../mod.ts";
import type { Codec, DecodeLimits } from "../src/protocol/mod.ts"; // from JSR: "@fullduplex/fullduplex/protocol"

/** @msgpack/msgpack's "no limit" (its default). */
const UINT32_MAX = 0xffff_ffff;

function bound(limit: number, factor = 1): number {
  return Number.isFinite(limit) ? Math.min(limit * factor, UINT32_MAX) : UINT32_MAX;
}

/**
 * MessagePack on binary frames. A text frame is refused (a decode problem).
 *
 * @example
 * ```ts
 * import { defineProtocol, unchecked } from "@fullduplex/fullduplex/protocol";
 * import { msgpackCodec } from "./examples/msgpack_codec.ts";
 * const p = defineProtocol({ client: { ping: unchecked<{ n: number }>() }, server: {} }, { codec: msgpackCodec });
 * ```
 */
export const msgpackCodec: Codec = Object.freeze({
  name: "MessagePack",
  encode(value: unknown): Uint8Array {
    return encode(value);
  },
  decode(data: string | Uint8Array, limits: Readonly<Required<DecodeLimits>>): unknown {
    if (typeof data === "string") throw new MessageDecodeError("invalid MessagePack: expected a binary frame, got a text frame");
    try {
      return decode(data, {
        // maxStrLength counts UTF-8 bytes; a string of N characters has at most 3N.
        maxStrLength: bound(limits.maxStringLength, 3),
        maxBinLength: bound(limits.maxStringLength),
        maxArrayLength: bound(limits.maxArrayLength),
        maxMapLength: bound(limits.maxObjectKeys),
      });
    } catch (err) {
      // Its messages name the problem without quoting the input; cap them anyway.
      const why = err instanceof Error ? err.message : String(err);
      throw new MessageDecodeError(`invalid MessagePack: ${why.length > 120 ? `${why.slice(0, 120)}…` : why}`, { cause: err });
    }
  },
});
