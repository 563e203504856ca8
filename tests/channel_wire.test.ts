// The channels wire format (docs/channels.md): what each side decodes, and
// that malformed input is named, never thrown.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  appBinary,
  appText,
  binaryPublication,
  binaryPublish,
  controlFrame,
  decodeClientFrame,
  decodeServerFrame,
  topicProblem,
} from "../src/shared/channel_wire.ts";

describe("channels wire format", () => {
  test("application messages round-trip through their tag, text and binary", () => {
    assert.deepEqual(decodeClientFrame(appText('c{"t":"sub"}')), { kind: "app", data: 'c{"t":"sub"}' });
    assert.deepEqual(decodeServerFrame(appText("")), { kind: "app", data: "" });
    const bytes = new Uint8Array([0x63, 0x50, 0x70, 0]);
    const frame = decodeClientFrame(appBinary(bytes));
    assert.equal(frame.kind, "app");
    assert.deepEqual([...(frame as { data: Uint8Array }).data], [...bytes]);
  });

  test("control messages a client sends are checked field by field", () => {
    assert.deepEqual(decodeClientFrame(controlFrame({ t: "sub", id: 1, topic: "room" })), {
      kind: "control",
      message: { t: "sub", id: 1, topic: "room", presence: false },
    });
    assert.deepEqual(decodeClientFrame('c{"t":"pub","id":2,"topic":"a","data":"hi","extra":1}'), {
      kind: "control",
      message: { t: "pub", id: 2, topic: "a", data: "hi" },
    });
    assert.deepEqual(decodeClientFrame('c{"t":"reply","id":3,"error":"no"}'), {
      kind: "control",
      message: { t: "reply", id: 3, error: "no" },
    });
    const cases: [string, string, number | undefined][] = [
      ["c{oops", "control message is not JSON", undefined],
      ["c[1]", "control message must be a JSON object", undefined],
      ['c{"id":1}', 'control message needs a string field "t"', undefined],
      ['c{"t":"sub","topic":"a"}', 'control message needs an "id": an integer from 1 to 2147483647', undefined],
      ['c{"t":"sub","id":0,"topic":"a"}', 'control message needs an "id": an integer from 1 to 2147483647', undefined],
      ['c{"t":"sub","id":1.5,"topic":"a"}', 'control message needs an "id": an integer from 1 to 2147483647', undefined],
      ['c{"t":"sub","id":4,"topic":7}', '"topic" must be a string', 4],
      ['c{"t":"pub","id":5,"topic":"a","data":{}}', '"data" must be a string (binary publications use a binary frame)', 5],
      ['c{"t":"__proto__","id":6}', 'unknown control message type "__proto__"', 6],
      ["x", "unknown frame tag", undefined],
      ["", "empty frame", undefined],
    ];
    for (const [input, reason, id] of cases) {
      const expected = id === undefined ? { kind: "malformed", reason } : { kind: "malformed", reason, id };
      assert.deepEqual(decodeClientFrame(input), expected, input);
    }
  });

  test("binary publish and publication frames carry id, topic and payload", () => {
    const payload = new Uint8Array([1, 2, 3]);
    const pub = decodeClientFrame(binaryPublish(77, "rööm", payload));
    assert.equal(pub.kind, "binary-publish");
    const p = pub as { id: number; topic: string; data: Uint8Array };
    assert.equal(p.id, 77);
    assert.equal(p.topic, "rööm");
    assert.deepEqual([...p.data], [1, 2, 3]);
    const publication = decodeServerFrame(binaryPublication("t", payload));
    assert.equal(publication.kind, "binary-publication");
    assert.deepEqual([...(publication as { data: Uint8Array }).data], [1, 2, 3]);
    assert.equal(decodeClientFrame(new Uint8Array([0x50, 0, 0, 0, 1, 0])).kind, "malformed");
    assert.equal(decodeClientFrame(new Uint8Array([0x50, 0, 0, 0, 1, 0, 9, 0x61])).kind, "malformed"); // topic longer than the frame
    assert.equal(decodeServerFrame(new Uint8Array([0x70, 0, 1, 0xff])).kind, "malformed"); // topic not UTF-8
    assert.equal(decodeServerFrame(new Uint8Array([])).kind, "malformed");
  });

  test("server control messages", () => {
    assert.deepEqual(decodeServerFrame(controlFrame({ t: "ok", id: 1, members: [{ id: "a", info: { name: "ann" } }] })), {
      kind: "control",
      message: { t: "ok", id: 1, members: [{ id: "a", info: { name: "ann" } }] },
    });
    assert.equal(decodeServerFrame('c{"t":"ok","id":1,"members":[{}]}').kind, "malformed");
    assert.equal(decodeServerFrame('c{"t":"deny","id":1}').kind, "malformed");
    assert.deepEqual(decodeServerFrame('c{"t":"error","reason":"bad"}'), { kind: "control", message: { t: "error", reason: "bad" } });
    assert.deepEqual(decodeServerFrame(controlFrame({ t: "end", topic: "room", reason: "kicked" })), {
      kind: "control",
      message: { t: "end", topic: "room", reason: "kicked" },
    });
    assert.deepEqual(decodeServerFrame('c{"t":"end","topic":"room"}'), { kind: "malformed", reason: '"end" needs a topic and a reason' });
  });

  test("topics: non-empty, bounded in UTF-8 bytes, no U+0000", () => {
    assert.equal(topicProblem("room", 256), undefined);
    assert.equal(topicProblem("", 256), "topic must be a non-empty string");
    assert.equal(topicProblem(3, 256), "topic must be a non-empty string");
    assert.equal(topicProblem("é".repeat(129), 256), "topic too long");
    assert.equal(topicProblem("a\u0000b", 256), "topic must not contain U+0000");
  });
});
