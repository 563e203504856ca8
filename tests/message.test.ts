/** Message, close-code and handshake helpers without a network. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Message, MessageDecodeError } from "../mod.ts";
import { assertCloseArgs, isApplicationCloseCode, utf8ByteLength } from "../src/shared/close_codes.ts";
import { normalizeReceivedCloseCode, truncateCloseReason } from "../src/shared/close_codes.ts";
import { chooseProtocol, parseProtocols } from "../src/server/upgrade.ts";
import { INVALID_JSON_WITH_CONTROLS, RAW_CONTROL } from "./helpers/control_chars.ts";

describe("Message", () => {
  it("text messages: text, bytes, size, json", () => {
    const m = Message.from('{"a":"é"}');
    assert.equal(m.kind, "text");
    assert.equal(m.size, 10);
    assert.deepEqual(m.json(), { a: "é" });
    assert.deepEqual([...m.bytes()], [...new TextEncoder().encode('{"a":"é"}')]);
  });

  it("binary messages from Uint8Array, ArrayBuffer, DataView and Buffer subclasses are plain Uint8Arrays", () => {
    class FakeBuffer extends Uint8Array {}
    for (const input of [new Uint8Array([1, 2]), new Uint8Array([1, 2]).buffer, new DataView(new Uint8Array([1, 2]).buffer), new FakeBuffer([1, 2])]) {
      const m = Message.from(input);
      assert.equal(m.kind, "binary");
      assert.equal(m.bytes().constructor, Uint8Array);
      assert.deepEqual([...m.bytes()], [1, 2]);
      assert.equal(m.size, 2);
    }
    assert.equal(Message.from(new TextEncoder().encode("hi")).text(), "hi");
  });

  it("json() names the problem and quotes a bounded prefix of the input", () => {
    const long = "{" + "x".repeat(100_000);
    assert.throws(() => Message.from(long).json(), (err: unknown) => {
      assert.ok(err instanceof MessageDecodeError);
      assert.match(err.message, /^invalid JSON: /);
      assert.ok(err.message.length < 400, `message is ${err.message.length} chars`);
      return true;
    });
  });

  it("json() errors stay on one line: newlines, control characters and U+2028/U+2029 of the input come back escaped", () => {
    for (const input of INVALID_JSON_WITH_CONTROLS) {
      assert.throws(() => Message.from(input).json(), (err: unknown) => {
        assert.ok(err instanceof MessageDecodeError);
        assert.match(err.message, /^invalid JSON: /);
        assert.doesNotMatch(err.message, RAW_CONTROL, `raw control character in ${JSON.stringify(err.message)}`);
        return true;
      }, JSON.stringify(input));
    }
    // The escape keeps the information: the newline shows up as text.
    assert.throws(() => Message.from("{\n").json(), /\\n|\\u000a/);
  });
});

describe("close codes", () => {
  it("accepts 1000 and 3000-4999 only", () => {
    for (const ok of [1000, 3000, 4000, 4999]) assert.ok(isApplicationCloseCode(ok));
    for (const bad of [0, 999, 1001, 1005, 1006, 1015, 2999, 5000, 1000.5, NaN]) assert.ok(!isApplicationCloseCode(bad));
    assert.throws(() => assertCloseArgs(1000, "é".repeat(62)), /124 UTF-8 bytes/);
    assertCloseArgs(1000, "é".repeat(61));
  });

  it("normalises what engines report", () => {
    assert.equal(normalizeReceivedCloseCode(0), 1006);
    assert.equal(normalizeReceivedCloseCode(undefined), 1006);
    assert.equal(normalizeReceivedCloseCode(1005), 1005);
    assert.equal(normalizeReceivedCloseCode(4001), 4001);
  });

  it("counts UTF-8 bytes, including surrogate pairs, and truncates on character boundaries", () => {
    assert.equal(utf8ByteLength("aé€😀"), 1 + 2 + 3 + 4);
    const cut = truncateCloseReason("😀".repeat(40));
    assert.equal(utf8ByteLength(cut), 120);
  });
});

describe("subprotocol parsing", () => {
  it("splits on commas with any spacing, dropping empties and duplicates", () => {
    assert.deepEqual(parseProtocols("chat,superchat"), ["chat", "superchat"]);
    assert.deepEqual(parseProtocols(" chat ,, superchat, chat "), ["chat", "superchat"]);
    assert.deepEqual(parseProtocols(null), []);
  });

  it("chooses by server preference and refuses a hook choice that was not offered", () => {
    assert.equal(chooseProtocol(["a", "b"], ["b", "a"]), "b");
    assert.equal(chooseProtocol(["a"], ["b"]), "");
    assert.throws(() => chooseProtocol(["a"], [], "z"), /did not offer/);
  });
});
