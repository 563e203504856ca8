/**
 * Property-based tests (fast-check) over Message decoding and the demo
 * server's JSON routing: any input gets a valid result or a clear, bounded
 * error, never a crash. A fixed seed keeps runs reproducible; a failure
 * prints the shrunk counterexample.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Message, MessageDecodeError } from "../mod.ts";
import { demoReply, looksLikeJson } from "../demo/protocol.ts";

const SEED = 6455;
const RUNS = 300;
const options = { seed: SEED, numRuns: RUNS };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Longest error text json() may produce, whatever the input size (prefix ≤ 100 chars, quote ≤ 40 chars escaped). */
const MAX_DECODE_ERROR_CHARS = 400;

/** Any UTF-16 string, lone surrogates included (users may call Message.from with anything). */
const anyUtf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 64 });
/** Any string of Unicode code points (what can arrive in a text frame). */
const anyText = fc.string({ unit: "binary", maxLength: 64 });
/** Text that is, or almost is, JSON: valid documents, cut ones, ones with junk around. */
const jsonish = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.jsonValue().chain((v) => {
    const s = JSON.stringify(v);
    return fc.nat({ max: s.length }).map((n) => s.slice(0, n));
  }),
  fc.tuple(fc.constantFrom("", " ", "\n\t "), fc.constantFrom("{", "["), anyText).map(([ws, open, rest]) => ws + open + rest),
  fc.record({ type: fc.oneof(fc.constant("greeting"), anyText, fc.integer(), fc.constant(null)), content: fc.jsonValue() }, {
    requiredKeys: [],
  })
    .map((v) => JSON.stringify(v)),
  fc.string({ unit: "binary", minLength: 500, maxLength: 3000 }).map((s) => `{"type":"${s}`),
);
const anyBytes = fc.uint8Array({ maxLength: 256 });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** json() either returns what JSON.parse returns, or throws a bounded MessageDecodeError, nothing else. */
function jsonBehaves(msg: Message): void {
  const text = msg.text();
  let expected: unknown;
  let parses = true;
  try {
    expected = JSON.parse(text);
  } catch {
    parses = false;
  }
  try {
    const got = msg.json();
    assert.ok(parses, "json() returned for text JSON.parse refuses");
    assert.equal(JSON.stringify(got), JSON.stringify(expected));
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assert.ok(err instanceof MessageDecodeError, `json() threw ${String(err)}, not a MessageDecodeError`);
    assert.ok(!parses, "json() threw for valid JSON");
    assert.ok(err.message.startsWith("invalid JSON: "), err.message);
    assert.ok(err.message.length <= MAX_DECODE_ERROR_CHARS, `error message is ${err.message.length} chars`);
    assert.ok(!err.message.includes("\n"), "one line");
  }
}

describe("properties: Message", () => {
  it("text: kind, size = UTF-8 byte length, text() and bytes() round trip", () => {
    fc.assert(
      fc.property(fc.oneof(anyUtf16, anyText), (s) => {
        const m = Message.from(s);
        const utf8 = encoder.encode(s);
        assert.equal(m.kind, "text");
        assert.equal(m.size, utf8.length);
        assert.equal(m.text(), s);
        assert.ok(sameBytes(m.bytes(), utf8));
        // Bytes back through a binary message give the same text, except that a
        // lone surrogate (not encodable in UTF-8) comes back as U+FFFD.
        const back = Message.from(m.bytes()).text();
        assert.equal(back, decoder.decode(utf8));
        if (!/\p{Surrogate}/u.test(s)) assert.equal(back, s); // with /u, only lone surrogates match
      }),
      options,
    );
  });

  it("binary: kind, size, bytes() is the same plain Uint8Array content, text() decodes like TextDecoder", () => {
    fc.assert(
      fc.property(anyBytes, fc.constantFrom("u8", "ab", "view"), (b, shape) => {
        const input = shape === "u8" ? b : shape === "ab" ? b.slice().buffer : new DataView(b.slice().buffer);
        const m = Message.from(input);
        assert.equal(m.kind, "binary");
        assert.equal(m.size, b.length);
        assert.equal(m.bytes().constructor, Uint8Array);
        assert.ok(sameBytes(m.bytes(), b));
        assert.equal(m.text(), decoder.decode(b));
        assert.equal(m.size, b.length, "size unchanged after text()");
      }),
      options,
    );
  });

  it("json(): returns what JSON.parse returns, or throws a bounded MessageDecodeError", () => {
    fc.assert(fc.property(fc.oneof(anyUtf16, anyText, jsonish), (s) => jsonBehaves(Message.from(s))), options);
    fc.assert(fc.property(anyBytes, (b) => jsonBehaves(Message.from(b))), options);
  });

  it("json() round-trips any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const s = JSON.stringify(v);
        assert.equal(JSON.stringify(Message.from(s).json()), s);
        assert.equal(JSON.stringify(Message.from(encoder.encode(s)).json()), s);
      }),
      options,
    );
  });
});

/** What the demo server may answer to one message. */
function checkDemoReply(msg: Message): void {
  let reply: string | Uint8Array;
  try {
    reply = demoReply(msg);
  } catch (err) {
    assert.fail(`demoReply threw ${String(err)}`);
  }
  if (msg.kind === "binary") {
    assert.ok(reply instanceof Uint8Array && sameBytes(reply, msg.bytes()), "binary is echoed");
    return;
  }
  const text = msg.text();
  assert.equal(typeof reply, "string");
  const answer = reply as string;
  if (!looksLikeJson(text)) {
    assert.equal(answer, `Echo: ${text}`);
    return;
  }
  const parsed = JSON.parse(answer) as { type?: unknown; content?: unknown; error?: unknown };
  if (parsed.type === "response") {
    assert.deepEqual(parsed, { type: "response", content: "Hello Client" });
    const asked = JSON.parse(text) as { type?: unknown };
    assert.equal(asked.type, "greeting");
  } else {
    assert.equal(parsed.type, "error", `reply is a response or an error: ${answer.slice(0, 80)}`);
    assert.equal(typeof parsed.error, "string");
    assert.ok((parsed.error as string).length > 0, "the error says something");
    assert.ok(answer.length <= 1000, `error reply is ${answer.length} chars for ${text.length} chars of input`);
  }
}

describe("properties: demo protocol (demoReply)", () => {
  it("any text gets an echo, a response or a bounded error reply; never throws", () => {
    fc.assert(fc.property(fc.oneof(anyText, jsonish), (s) => checkDemoReply(Message.from(s))), options);
  });

  it("any bytes are echoed unchanged", () => {
    fc.assert(fc.property(anyBytes, (b) => checkDemoReply(Message.from(b))), options);
  });

  it("a greeting, whatever else it carries, gets the response", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })),
        fc.constantFrom("", " ", "\r\n"),
        (extra, ws) => {
          const msg = Message.from(ws + JSON.stringify({ ...extra, type: "greeting" }));
          assert.deepEqual(JSON.parse(demoReply(msg) as string), { type: "response", content: "Hello Client" });
        },
      ),
      options,
    );
  });
});
