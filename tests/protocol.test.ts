/**
 * Typed protocols without a network: decoding and validation, decoding
 * limits, prototype pollution, capped error text, codecs, and the demo
 * protocol's wire behaviour.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { z } from "zod";
import { Message, MessageDecodeError } from "../mod.ts";
import { defineProtocol, jsonCodec, protocolError, unchecked } from "../src/protocol/mod.ts";
import type { DecodeResult, ProtocolProblem, StandardSchemaV1 } from "../src/protocol/mod.ts";
import { DEFAULT_DECODE_LIMITS } from "../src/protocol/limits.ts";
import { msgpackCodec } from "../examples/msgpack_codec.ts";
import { decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";

const chat = defineProtocol({
  client: {
    greeting: z.object({ content: z.string().max(100) }),
    move: z.object({ to: z.object({ x: z.number().int(), y: z.number().int() }), tags: z.array(z.string()).optional() }),
    ping: unchecked<{ at: number }>(),
  },
  server: { response: z.object({ content: z.string() }), error: protocolError },
});

/** Decodes synchronously (every schema here is synchronous). */
function sync<M>(result: DecodeResult<M> | Promise<DecodeResult<M>>): DecodeResult<M> {
  assert.ok(!(result instanceof Promise), "expected a synchronous result");
  return result;
}

function problemOf(result: DecodeResult<unknown> | Promise<DecodeResult<unknown>>): ProtocolProblem {
  const r = sync(result);
  assert.equal(r.ok, false, `expected a problem, got ${JSON.stringify(r)}`);
  return (r as { problem: ProtocolProblem }).problem;
}

describe("defineProtocol: decoding and validation", () => {
  it("a valid message decodes to the typed message, discriminator first", () => {
    const r = sync(chat.decodeClientMessage('{"content":"hi","type":"greeting","extra":1}'));
    assert.ok(r.ok);
    assert.deepEqual(r.message, { type: "greeting", content: "hi" });
    assert.deepEqual(Object.keys(r.message), ["type", "content"]);
  });

  it("accepts a Message, text or binary (UTF-8 JSON)", () => {
    for (const m of [Message.from('{"type":"ping","at":1}'), Message.from(new TextEncoder().encode('{"type":"ping","at":1}'))]) {
      const r = sync(chat.decodeClientMessage(m));
      assert.ok(r.ok);
      assert.deepEqual(r.message, { type: "ping", at: 1 });
    }
  });

  it("names the field and the problem of a schema failure", () => {
    const p = problemOf(chat.decodeClientMessage('{"type":"move","to":{"x":1,"y":"2"}}'));
    assert.equal(p.kind, "validation");
    assert.equal(p.type, "move");
    assert.match(p.message, /^invalid "move" message: to\.y: .*expected number/);
    assert.equal(p.issues[0].path, "to.y");
    const q = problemOf(chat.decodeClientMessage('{"type":"move","to":{"x":1,"y":2},"tags":["a",3,4]}'));
    assert.match(q.message, /^invalid "move" message: tags\[1\]: .* \(and 1 more issue\)$/);
    assert.deepEqual(q.issues.map((i) => i.path), ["tags[1]", "tags[2]"]);
  });

  it("refuses non-objects, a missing discriminator and unknown types, with the demo's wording", () => {
    for (const text of ["[1,2]", "42", '"x"', "null"]) {
      assert.equal(problemOf(chat.decodeClientMessage(text)).message, 'expected a JSON object with a string "type"');
    }
    assert.equal(problemOf(chat.decodeClientMessage('{"type":5}')).message, 'missing "type": expected a JSON object with a string "type"');
    const p = problemOf(chat.decodeClientMessage('{"type":"dance"}'));
    assert.equal(p.message, 'unknown message type "dance": this server understands "greeting", "move", "ping"');
    assert.equal(p.kind, "validation");
    // Types that exist on Object.prototype are unknown too, not crashes.
    for (const type of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      assert.match(problemOf(chat.decodeClientMessage(JSON.stringify({ type }))).message, /^unknown message type/);
    }
    // The other direction names the client.
    assert.match(problemOf(chat.decodeServerMessage('{"type":"greeting"}')).message, /this client understands "response", "error"$/);
  });

  it("invalid JSON is a decode problem reading like Message.json()", () => {
    const p = problemOf(chat.decodeClientMessage("{oops"));
    assert.equal(p.kind, "decode");
    assert.ok(p.cause instanceof MessageDecodeError);
    assert.match(p.message, /^invalid JSON: /);
    assert.throws(() => Message.from("{oops").json(), (err: Error) => err.message === p.message);
    const bad = problemOf(chat.decodeClientMessage(new Uint8Array([0x7b, 0xff, 0x7d])));
    assert.equal(bad.message, "invalid JSON: a binary message is not valid UTF-8");
  });

  it("unchecked<T>() checks only the discriminator: other fields are NOT validated", () => {
    const r = sync(chat.decodeClientMessage('{"type":"ping","at":"not a number"}'));
    assert.ok(r.ok);
    assert.deepEqual(r.message, { type: "ping", at: "not a number" });
  });

  it("a custom discriminator, async schemas and schemas that throw", async () => {
    const asyncSchema: StandardSchemaV1<{ n: number }> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: (v) => Promise.resolve(typeof (v as { n?: unknown }).n === "number" ? { value: v as { n: number } } : { issues: [{ message: "need n", path: [{ key: "n" }] }] }),
      },
    };
    const throwing: StandardSchemaV1<object> = { "~standard": { version: 1, vendor: "test", validate: () => { throw new Error("bug"); } } };
    const p = defineProtocol({ client: { count: asyncSchema, broken: throwing }, server: {} }, { discriminator: "kind" });
    const ok = await p.decodeClientMessage('{"kind":"count","n":3}');
    assert.deepEqual(ok, { ok: true, message: { kind: "count", n: 3 } });
    const bad = await p.decodeClientMessage('{"kind":"count"}');
    assert.ok(!bad.ok);
    assert.equal(bad.problem.message, 'invalid "count" message: n: need n');
    const broken = problemOf(p.decodeClientMessage('{"kind":"broken"}'));
    assert.equal(broken.message, 'invalid "broken" message: its schema failed (Error)');
    assert.ok(broken.cause instanceof Error);
    assert.match(problemOf(p.decodeClientMessage('{"type":"count"}')).message, /^missing "kind"/);
  });

  it("refuses bad definitions with errors that say what to fix", () => {
    assert.throws(() => defineProtocol({ client: { a: {} as StandardSchemaV1 }, server: {} }), /client message "a" is not a Standard Schema/);
    assert.throws(() => defineProtocol({ client: {}, server: {} }, { discriminator: "__proto__" }), /discriminator/);
    assert.throws(() => defineProtocol({ client: {}, server: {} }, { limits: { maxDepth: 0 } }), /limits\.maxDepth/);
    assert.throws(() => defineProtocol({ client: {}, server: {} }, { limits: { forbiddenKeys: "allow" as "strip" } }), /forbiddenKeys/);
  });

  it("encodes typed messages with the codec, and the default error reply", () => {
    assert.equal(chat.encodeServerMessage({ type: "response", content: "x" }), '{"type":"response","content":"x"}');
    assert.equal(chat.encodeClientMessage({ type: "ping", at: 1 }), '{"type":"ping","at":1}');
    const sent: (string | Uint8Array)[] = [];
    assert.equal(chat.send({ send: (d) => sent.push(d) }, { type: "error", error: "e" }), 1);
    assert.deepEqual(sent, ['{"type":"error","error":"e"}']);
    assert.deepEqual(chat.errorMessage(problemOf(chat.decodeClientMessage("[]"))), { type: "error", error: 'expected a JSON object with a string "type"' });
    assert.throws(() => jsonCodec.encode(undefined), TypeError);
  });
});

describe("decoding limits", () => {
  const strict = defineProtocol({ client: { m: unchecked<object>() }, server: {} }, {
    limits: { maxDepth: 4, maxStringLength: 10, maxArrayLength: 3, maxObjectKeys: 3 },
  });
  const cases: [unknown, RegExp][] = [
    [{ type: "m", a: { b: { c: { d: {} } } } }, /^JSON message refused: nesting deeper than 4 levels at a\.b\.c\.d$/],
    [{ type: "m", a: [[[[1]]]] }, /nesting deeper than 4 levels at a\[0\]\[0\]\[0\]$/],
    [{ type: "m", s: "x".repeat(11) }, /string longer than 10 characters at s$/],
    [{ type: "m", list: [1, 2, 3, 4] }, /array longer than 3 elements at list$/],
    [{ type: "m", a: 1, b: 2, c: 3 }, /object with more than 3 keys at the message$/],
    [{ type: "m", ["k".repeat(11)]: 1 }, /key longer than 10 characters/],
    [{ type: "m", a: [{ s: "y".repeat(50) }] }, /string longer than 10 characters at a\[0\]\.s$/],
  ];
  for (const [value, expected] of cases) {
    it(`refuses ${JSON.stringify(value).slice(0, 50)}`, () => {
      const p = problemOf(strict.decodeClientMessage(JSON.stringify(value)));
      assert.equal(p.kind, "decode");
      assert.match(p.message, expected);
      assert.ok(!p.message.includes("yyyyyyyyyyy"), "the offending value is not quoted");
    });
  }

  it("limits beyond 1000 levels use an explicit stack and report the same problems", () => {
    const deep = defineProtocol({ client: { m: unchecked<object>() }, server: {} }, { limits: { maxDepth: 2000, maxStringLength: 10, maxArrayLength: 3 } });
    const nested = `{"type":"m","a":${"[".repeat(2000)}${"]".repeat(2000)}}`;
    assert.match(problemOf(deep.decodeClientMessage(nested)).message, /^JSON message refused: nesting deeper than 2000 levels at a\[0\]\[0\]…\[0\]\[0\]\[0\]\[0\]\[0\]$/);
    assert.match(problemOf(deep.decodeClientMessage('{"type":"m","a":[{"s":"yyyyyyyyyyyy"}]}')).message, /string longer than 10 characters at a\[0\]\.s$/);
    assert.match(problemOf(deep.decodeClientMessage('{"type":"m","a":{"b":[1,2,3,4]}}')).message, /array longer than 3 elements at a\.b$/);
    assert.match(problemOf(deep.decodeClientMessage('{"type":"m","a":{"__proto__":1}}')).message, /forbidden key "__proto__" at a\.__proto__$/);
    assert.ok(sync(deep.decodeClientMessage(`{"type":"m","a":${"[".repeat(1999)}${"]".repeat(1999)}}`)).ok);
  });

  it("defaults: depth 32 and 10000-element arrays are refused, a 100k-deep document does not overflow", () => {
    assert.equal(DEFAULT_DECODE_LIMITS.maxDepth, 32);
    const deep = `{"type":"ping","at":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    assert.match(problemOf(chat.decodeClientMessage(deep)).message, /nesting deeper than 32 levels/);
    const wide = JSON.stringify({ type: "ping", at: new Array(10_001).fill(0) });
    assert.match(problemOf(chat.decodeClientMessage(wide)).message, /array longer than 10000 elements at at$/);
    const unlimited = defineProtocol({ client: { m: unchecked<object>() }, server: {} }, { limits: { maxDepth: Infinity } });
    assert.ok(sync(unlimited.decodeClientMessage(`{"type":"m","a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`)).ok);
  });
});

describe("prototype pollution", () => {
  const hostile = [
    '{"type":"ping","__proto__":{"polluted":1}}',
    '{"type":"ping","at":{"__proto__":{"polluted":1}}}',
    '{"type":"ping","constructor":{"prototype":{"polluted":1}}}',
    '{"type":"ping","list":[{"prototype":{"polluted":1}}]}',
    '{"type":"greeting","content":"x","__proto__":{"polluted":1}}',
  ];

  it("rejects __proto__, constructor and prototype keys at any depth by default; Object.prototype is untouched", () => {
    for (const text of hostile) {
      const p = problemOf(chat.decodeClientMessage(text));
      assert.equal(p.kind, "decode");
      assert.match(p.message, /forbidden key "(__proto__|constructor|prototype)" at /);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted"), false);
  });

  it('forbiddenKeys: "strip" removes them and delivers the rest; merging the result pollutes nothing', () => {
    const p = defineProtocol({ client: { ping: unchecked<Record<string, unknown>>() }, server: {} }, { limits: { forbiddenKeys: "strip" } });
    const r = sync(p.decodeClientMessage('{"type":"ping","__proto__":{"polluted":1},"keep":{"constructor":{"prototype":{"polluted":1}},"ok":true}}'));
    assert.ok(r.ok);
    assert.deepEqual(r.message, { type: "ping", keep: { ok: true } });
    // A naive deep merge of the message is now harmless.
    const merge = (target: Record<string, unknown>, source: Record<string, unknown>) => {
      for (const key in source) {
        const v = source[key];
        if (typeof v === "object" && v !== null) merge((target[key] ??= {}) as Record<string, unknown>, v as Record<string, unknown>);
        else target[key] = v;
      }
    };
    merge({}, r.message);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("MessagePack: its decoder refuses __proto__, fullduplex refuses constructor/prototype", () => {
    const mp = defineProtocol({ client: { ping: unchecked<object>() }, server: {} }, { codec: msgpackCodec });
    // MessagePack maps are built from plain objects; rename a 9-byte key into "__proto__" in the bytes.
    const withKey = (key: string) => {
      const bytes = msgpackEncode({ type: "ping", XXXXXXXXX: { polluted: 1 } });
      const text = new TextDecoder("latin1").decode(bytes);
      const at = text.indexOf("XXXXXXXXX");
      bytes.set(new TextEncoder().encode(key.padEnd(9, " ")), at);
      return bytes;
    };
    assert.ok(sync(mp.decodeClientMessage(withKey("ok_key__"))).ok);
    assert.match(problemOf(mp.decodeClientMessage(withKey("__proto__"))).message, /^invalid MessagePack: The key __proto__ is not allowed/);
    const ctor = msgpackEncode({ type: "ping", constructor: { prototype: { polluted: 1 } } });
    assert.match(problemOf(mp.decodeClientMessage(ctor)).message, /forbidden key "constructor"/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe("error text never echoes unbounded input", () => {
  it("caps types, keys, engine messages and schema issues", () => {
    const huge = "A".repeat(100_000);
    const texts = [
      `{"type":"${huge}"}`,
      `{${huge}`,
      `{"type":"greeting","content":"${huge}"}`,
      JSON.stringify({ type: "move", to: { x: 1, y: 2 }, [huge]: 1 }),
      JSON.stringify({ type: "ping", [huge]: 1 }),
    ];
    for (const text of texts) {
      const p = problemOf(chat.decodeClientMessage(text));
      assert.ok(p.message.length <= 400, `${p.message.length} chars: ${p.message.slice(0, 80)}`);
      assert.ok(!p.message.includes("A".repeat(41)), "quotes at most 40 characters of input");
    }
  });

  it("a foreign codec's error is capped and prefixed", () => {
    const noisy = defineProtocol({ client: {}, server: {} }, {
      codec: { name: "Noisy", encode: String, decode: (d) => { throw new Error(`bad: ${String(d)}`); } },
    });
    const p = problemOf(noisy.decodeClientMessage("z".repeat(10_000)));
    assert.match(p.message, /^invalid Noisy: bad: z+…$/);
    assert.ok(p.message.length < 250);
  });
});

describe("MessagePack codec (examples/msgpack_codec.ts)", () => {
  const mp = defineProtocol({
    client: { greeting: z.object({ content: z.string() }), blob: z.object({ data: z.instanceof(Uint8Array) }) },
    server: { response: z.object({ content: z.string() }) },
  }, { codec: msgpackCodec, limits: { maxStringLength: 100, maxArrayLength: 5 } });

  it("round-trips typed messages as binary frames, bytes included", () => {
    const bytes = mp.encodeClientMessage({ type: "greeting", content: "hé" });
    assert.ok(bytes instanceof Uint8Array);
    assert.deepEqual(msgpackDecode(bytes), { type: "greeting", content: "hé" });
    assert.deepEqual(sync(mp.decodeClientMessage(bytes)), { ok: true, message: { type: "greeting", content: "hé" } });
    const blob = sync(mp.decodeClientMessage(Message.from(mp.encodeClientMessage({ type: "blob", data: new Uint8Array([1, 2]) }))));
    assert.ok(blob.ok && blob.message.type === "blob");
    assert.deepEqual([...(blob.message as { data: Uint8Array }).data], [1, 2]);
  });

  it("refuses text frames, garbage and oversized values as decode problems", () => {
    assert.match(problemOf(mp.decodeClientMessage('{"type":"greeting"}')).message, /^invalid MessagePack: expected a binary frame/);
    assert.equal(problemOf(mp.decodeClientMessage(new Uint8Array([0xc1]))).kind, "decode");
    assert.match(problemOf(mp.decodeClientMessage(msgpackEncode({ type: "greeting", content: "x".repeat(500) }))).message, /^invalid MessagePack: Max length exceeded/);
    assert.match(problemOf(mp.decodeClientMessage(msgpackEncode({ type: "greeting", content: [1, 2, 3, 4, 5, 6] }))).message, /Max length exceeded: array/);
    assert.match(problemOf(mp.decodeClientMessage(msgpackEncode({ type: "greeting", content: "é".repeat(101) }))).message, /string longer than 100 characters at content/);
    assert.match(problemOf(mp.decodeClientMessage(msgpackEncode([1]))).message, /^expected a MessagePack object with a string "type"$/);
  });
});

describe("property: arbitrary input never throws and yields exactly one outcome", () => {
  it("text and bytes into decodeClientMessage give a valid message or a bounded problem", () => {
    const input = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      fc.record({ type: fc.constantFrom("greeting", "move", "ping", "nope", "__proto__"), content: fc.anything({ maxDepth: 2 }) }).map((v) => JSON.stringify(v) ?? "null"),
      fc.record({ type: fc.constant("move"), to: fc.record({ x: fc.integer(), y: fc.oneof(fc.integer(), fc.string()) }) }).map((v) => JSON.stringify(v)),
    );
    fc.assert(fc.property(input, (data) => {
      const r = sync(chat.decodeClientMessage(data));
      if (r.ok) {
        const schema = chat.client[r.message.type as keyof typeof chat.client];
        const again = schema["~standard"].validate(r.message);
        assert.ok(!(again instanceof Promise) && again.issues === undefined, "a delivered message passes its schema");
      } else {
        assert.ok(r.problem.kind === "decode" || r.problem.kind === "validation");
        assert.ok(r.problem.message.length > 0 && r.problem.message.length <= 400);
      }
    }), { numRuns: 500 });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe("demo/protocol.ts on the protocol layer", () => {
  // The demo's JSON part as it was before it moved onto defineProtocol,
  // kept here as the reference for its wire behaviour.
  function referenceReply(text: string): string {
    const error = (message: string) => JSON.stringify({ type: "error", error: message });
    let value: unknown;
    try {
      value = Message.from(text).json();
    } catch (err) {
      return error(err instanceof MessageDecodeError ? err.message : "invalid JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return error('expected a JSON object with a string "type"');
    const type = (value as { type?: unknown }).type;
    if (typeof type !== "string") return error('missing "type": expected a JSON object with a string "type"');
    if (type === "greeting") return JSON.stringify({ type: "response", content: "Hello Client" });
    const shown = type.length > 40 ? `${type.slice(0, 40)}…` : type;
    return error(`unknown message type ${JSON.stringify(shown)}: this server understands "greeting"`);
  }

  it("gives exactly the replies the hand-written demo gave, for arbitrary JSON-looking text", async () => {
    const { demoReply } = await import("../demo/protocol.ts");
    const jsonish = fc.oneof(
      fc.json({ maxDepth: 5 }),
      fc.string({ maxLength: 60 }).map((s) => `{${s}`),
      fc.string({ maxLength: 60 }).map((s) => ` [${s}`),
      fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "prototype", "type")), fc.jsonValue({ maxDepth: 3 }))
        .chain((d) => fc.constantFrom("greeting", "dance", "y".repeat(60), "constructor").map((type) => JSON.stringify({ ...d, type }))),
      fc.constantFrom('{"type":"greeting","__proto__":{"x":1}}', '{"__proto__":{"type":"greeting"}}', `{"type":"greeting","a":${"[".repeat(5000)}${"]".repeat(5000)}}`),
    ).filter((t) => t.trimStart().startsWith("{") || t.trimStart().startsWith("["));
    fc.assert(fc.property(jsonish, (text) => {
      assert.equal(demoReply(Message.from(text)), referenceReply(text));
    }), { numRuns: 400 });
  });
});
