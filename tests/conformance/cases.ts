/**
 * RFC 6455 conformance cases for a fullduplex server, driven by a raw TCP
 * peer (tests/helpers/raw.ts) that writes hand-built frames.
 *
 * One module, two users: tests/conformance.test.ts asserts what fullduplex
 * promises on the runtime running it, and scripts/conformance.ts runs the
 * same cases on Deno and on Bun (tests/conformance/run.ts) and writes
 * docs/conformance.md from what really happened. Nothing observed is
 * hard-coded here: a case says what the RFC requires (`rfc`, `conforms`) and
 * what fullduplex does about it (`fullduplex`); `known` records an engine
 * behaviour that fullduplex cannot change from above the engine, so the
 * test notices when a runtime version changes it.
 */

import { closePayload, encodeFrame, rawConnect } from "../helpers/raw.ts";
import type { Frame, RawPeer } from "../helpers/raw.ts";
import { startServer } from "../helpers/server.ts";
import { delay } from "../helpers/runtime.ts";

/** Opcodes (RFC 6455 §5.2). */
const CONT = 0x0, TEXT = 0x1, BINARY = 0x2, CLOSE = 0x8, PING = 0x9, PONG = 0xa;

/** The maxMessageBytes every case's server runs with. */
export const CASE_MAX_MESSAGE_BYTES = 1024;

/** A text message the peer sends after a case's frames: its echo proves the connection still works. */
const PROBE = "__probe__";

/** What one case observed: on the wire and in the server's handlers. */
export interface Observation {
  /** HTTP status of the handshake response. */
  status: number;
  /** The Sec-WebSocket-Accept header of the response, if any. */
  accept?: string;
  /** The Sec-WebSocket-Version header of the response, if any (sent with a 426). */
  version?: string;
  /**
   * The server's close frame: its code (null when the frame carried no
   * code) and reason; undefined when none arrived.
   */
  close: { code: number | null; reason: string } | undefined;
  /** TCP ended without a close frame from the server. */
  dropped: boolean;
  /** The probe message sent after the case's frames was echoed: the connection kept working. */
  open: boolean;
  /** Data and pong frames the server sent (not the probe's echo), e.g. `text "ab"`, `pong 7 B`. */
  replies: string[];
  /** Messages the server's `message` handler received (not the probe), summarised like replies. */
  delivered: string[];
  /** Every `close` handler call: code and reason. */
  handlerCloses: { code: number; reason: string }[];
}

/** A known, documented engine behaviour on one runtime that fullduplex cannot fix above the engine. */
export interface KnownBehaviour {
  /** What happens, in words (for the report). */
  what: string;
  /** Which kind of RFC requirement the engine misses: a MUST, or only a SHOULD. */
  severity: "must" | "should";
  /** Whether an observation shows exactly this behaviour (asserted by the test). */
  matches(o: Observation): boolean;
}

/** One conformance case. */
export interface ConformanceCase {
  /** Stable id, e.g. `close-code-999`. */
  id: string;
  /** Section of the report. */
  group: string;
  /** What the peer does, for the report. */
  title: string;
  /** What RFC 6455 requires of the server, in words. */
  rfc: string;
  /** Whether an observation satisfies the RFC requirement. */
  conforms(o: Observation): boolean;
  /** What fullduplex does about it (checks in its core, or why it cannot). */
  fullduplex: string;
  /** Engine behaviour that deviates from the RFC and that fullduplex cannot fix, per engine (ws: the ws engine on Deno). */
  known?: { deno?: KnownBehaviour; bun?: KnownBehaviour; ws?: KnownBehaviour };
  /** Extra handshake headers (null removes one) and method; default: a valid GET handshake. */
  handshake?: { headers?: Record<string, string | null>; method?: string };
  /** Sends the case's frames on an open connection. */
  send?(peer: RawPeer): void | Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Summarises a payload: short text quoted, otherwise its size. */
function describePayload(kind: string, payload: Uint8Array | string): string {
  const b = typeof payload === "string" ? encoder.encode(payload) : payload;
  if (b.length > 0 && (kind === "text" || kind === "pong")) {
    let text: string | undefined;
    try {
      text = typeof payload === "string" ? payload : decoder.decode(b);
    } catch {
      text = undefined;
    }
    if (text !== undefined && text.length <= 16 && /^[\x20-\x7e]*$/.test(text)) return `${kind} ${JSON.stringify(text)}`;
  }
  return `${kind} ${b.length} B`;
}

function describeFrame(f: Frame): string | undefined {
  if (f.opcode === TEXT) return describePayload("text", f.payload);
  if (f.opcode === BINARY) return describePayload("binary", f.payload);
  if (f.opcode === PONG) return describePayload("pong", f.payload);
  if (f.opcode === CONT) return `continuation ${f.payload.length} B`;
  return undefined; // close and ping are reported elsewhere or are keep-alive noise
}

// ---- predicates used by cases -------------------------------------------------

/** The server sent a close frame with one of `codes`. */
function closedWith(...codes: number[]): (o: Observation) => boolean {
  return (o) => o.close !== undefined && o.close.code !== null && codes.includes(o.close.code);
}

/** The server failed the connection: a close frame with one of `codes`, and the peer got nothing else. */
function refused(...codes: number[]): (o: Observation) => boolean {
  const closed = closedWith(...codes);
  return (o) => closed(o) && !o.open && o.replies.length === 0 && o.delivered.length === 0;
}

/** The connection kept working and the server replied exactly `replies`. */
function answered(...replies: string[]): (o: Observation) => boolean {
  return (o) => o.open && o.close === undefined && JSON.stringify(o.replies) === JSON.stringify(replies);
}

/** The engine accepted what it should have refused and echoed it. */
function acceptedAndEchoed(reply: string): KnownBehaviour["matches"] {
  return (o) => o.open && o.close === undefined && o.replies.includes(reply);
}

/**
 * Deno fails a connection on a framing or UTF-8 error by dropping TCP
 * without the close frame RFC 6455 §7.1.7 says it SHOULD send; its socket
 * reports code 0, which the core turns into 1006. Nothing is delivered.
 */
const DENO_DROPS: { deno: KnownBehaviour } = {
  deno: {
    what: "Deno drops TCP without the close frame §7.1.7 says it SHOULD send; nothing is delivered; the handler sees 1006",
    severity: "should",
    matches: (o) =>
      o.dropped && !o.open && o.replies.length === 0 && o.delivered.length === 0 && o.handlerCloses.length === 1 &&
      o.handlerCloses[0].code === 1006,
  },
};

const REFUSE_1002 = "fail the connection: close 1002, nothing delivered";

/** What fullduplex does about a framing or UTF-8 error the engine detects. */
const ENGINE_FAILS =
  "engine's check; nothing reaches the `message` handler. The close frame Deno omits cannot be added: its engine has already dropped TCP";

// ---- the cases ------------------------------------------------------------------

const cases: ConformanceCase[] = [];

// Framing and masking
cases.push({
  id: "mask-unmasked-text",
  group: "Framing and masking",
  title: "unmasked text frame from the client",
  rfc: "client frames must be masked (§5.1): " + REFUSE_1002,
  conforms: refused(1002),
  fullduplex:
    "nothing to add on Bun; on Deno the frame reaches JS as a normal message and nothing above the engine can tell it was unmasked: documented limitation",
  known: {
    deno: {
      what: "Deno accepts an unmasked client frame and delivers it as a normal message",
      severity: "must",
      matches: acceptedAndEchoed('text "unmasked"'),
    },
  },
  send: (p) => p.sendFrame(TEXT, "unmasked", { mask: false }),
});
for (const [rsv, name] of [[4, "RSV1"], [2, "RSV2"], [1, "RSV3"]] as const) {
  cases.push({
    id: `rsv-${name.toLowerCase()}`,
    known: DENO_DROPS,
    group: "Framing and masking",
    title: `text frame with ${name} set, no extension negotiated`,
    rfc: "reserved bits must be 0 without an extension (§5.2): " + REFUSE_1002,
    conforms: refused(1002),
    fullduplex: ENGINE_FAILS + " (no extension is ever negotiated: Bun's perMessageDeflate is off, Deno has none)",
    send: (p) => p.sendFrame(TEXT, "rsv", { rsv }),
  });
}
for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
  const hex = `0x${opcode.toString(16).toUpperCase()}`;
  cases.push({
    id: `opcode-${opcode.toString(16)}`,
    known: DENO_DROPS,
    group: "Framing and masking",
    title: `reserved ${opcode < 8 ? "data" : "control"} opcode ${hex}`,
    rfc: "unknown opcode (§5.2): " + REFUSE_1002,
    conforms: refused(1002),
    fullduplex: ENGINE_FAILS,
    send: (p) => p.sendFrame(opcode, "x"),
  });
}
cases.push({
  id: "length-64bit-msb",
  known: DENO_DROPS,
  group: "Framing and masking",
  title: "64-bit payload length with the most significant bit set",
  rfc: "the MSB of a 64-bit length must be 0 (§5.2): fail the connection (1002, or 1009 as too big)",
  conforms: (o) => refused(1002, 1009)(o),
  fullduplex: ENGINE_FAILS,
  send: (p) => p.write(bytes(0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4)),
});

// Fragmentation
const FRAG = "Fragmentation";
cases.push({
  id: "frag-continuation-without-start",
  known: DENO_DROPS,
  group: FRAG,
  title: "continuation frame with no message started",
  rfc: "§5.4: " + REFUSE_1002,
  conforms: refused(1002),
  fullduplex: ENGINE_FAILS,
  send: (p) => p.sendFrame(CONT, "orphan"),
});
cases.push({
  id: "frag-new-message-inside",
  known: DENO_DROPS,
  group: FRAG,
  title: "new text frame while a fragmented message is unfinished",
  rfc: "§5.4: fragments of different messages must not interleave: " + REFUSE_1002,
  conforms: refused(1002),
  fullduplex: ENGINE_FAILS,
  send: (p) => {
    p.sendFrame(TEXT, "first", { fin: false });
    p.sendFrame(TEXT, "second");
    p.sendFrame(CONT, "end");
  },
});
cases.push({
  id: "frag-ping-between",
  group: FRAG,
  title: "ping between the fragments of a text message",
  rfc: "§5.4/§5.5.2: control frames may be interleaved; answer the ping, reassemble the message",
  conforms: answered('pong "mid"', 'text "abc"'),
  fullduplex: "engine's framing; the handler gets one whole message",
  send: (p) => {
    p.sendFrame(TEXT, "a", { fin: false });
    p.sendFrame(PING, "mid");
    p.sendFrame(CONT, "b", { fin: false });
    p.sendFrame(CONT, "c");
  },
});
cases.push({
  id: "frag-pong-between",
  group: FRAG,
  title: "unsolicited pong between the fragments of a binary message",
  rfc: "§5.5.3: an unsolicited pong is ignored; the message is reassembled",
  conforms: answered("binary 4 B"),
  fullduplex: "engine's framing; the handler gets one whole message",
  send: (p) => {
    p.sendFrame(BINARY, bytes(1, 2), { fin: false });
    p.sendFrame(PONG, "x");
    p.sendFrame(CONT, bytes(3, 4));
  },
});
cases.push({
  id: "frag-many-and-empty",
  group: FRAG,
  title: "text message in 10 fragments, some of them empty",
  rfc: "§5.4: reassemble any number of fragments, empty ones included",
  conforms: answered('text "0123456"'),
  fullduplex: "engine's framing; the handler gets one whole message",
  send: (p) => {
    const parts = ["", "0", "1", "", "2", "3", "4", "", "5", "6"];
    parts.forEach((part, i) => p.sendFrame(i === 0 ? TEXT : CONT, part, { fin: i === parts.length - 1 }));
  },
});
cases.push({
  id: "frag-close-between",
  group: FRAG,
  title: "close frame between the fragments of a message",
  rfc: "§5.5.1: the close is answered; the unfinished message is never delivered",
  conforms: (o) => closedWith(1000)(o) && o.delivered.length === 0 && o.replies.length === 0,
  fullduplex: ENGINE_FAILS,
  send: (p) => {
    p.sendFrame(TEXT, "never", { fin: false });
    p.sendFrame(CLOSE, closePayload(1000));
    p.sendFrame(CONT, "delivered");
  },
});

// Control frames
const CTRL = "Control frames";
cases.push({
  id: "ping-payload-echoed",
  group: CTRL,
  title: "ping with a 125-byte binary payload",
  rfc: "§5.5.3: the pong carries the ping's payload unchanged",
  conforms: (o) => answered("pong 125 B")(o),
  fullduplex: "engine answers pings (invisible to handlers); the case checks the payload byte for byte",
  send: async (p) => {
    const payload = new Uint8Array(125).map((_, i) => (i * 37 + 11) & 255);
    p.sendFrame(PING, payload);
    await waitFor(() => p.frames.some((f) => f.opcode === PONG), 2000);
    const pong = p.frames.find((f) => f.opcode === PONG);
    // A pong with the wrong payload is reported as such, so it cannot conform.
    if (pong !== undefined && pong.payload.some((b, i) => b !== payload[i])) pong.payload = encoder.encode("WRONG PAYLOAD");
  },
});
cases.push({
  id: "ping-empty",
  group: CTRL,
  title: "ping with no payload",
  rfc: "§5.5.3: answered with an empty pong",
  conforms: answered("pong 0 B"),
  fullduplex: "engine answers pings",
  send: (p) => p.sendFrame(PING, new Uint8Array(0)),
});
cases.push({
  id: "pong-unsolicited",
  group: CTRL,
  title: "unsolicited pong",
  rfc: "§5.5.3: ignored, no reply",
  conforms: answered(),
  fullduplex: "engine ignores it (on Bun the core counts it as liveness)",
  send: (p) => p.sendFrame(PONG, "hello"),
});
cases.push({
  id: "ping-126-bytes",
  known: DENO_DROPS,
  group: CTRL,
  title: "ping with a 126-byte payload",
  rfc: "§5.5: control frames carry at most 125 bytes: " + REFUSE_1002,
  conforms: refused(1002),
  fullduplex: ENGINE_FAILS,
  send: (p) => p.sendFrame(PING, new Uint8Array(126)),
});
cases.push({
  id: "ping-fragmented",
  known: DENO_DROPS,
  group: CTRL,
  title: "ping with FIN clear (fragmented control frame)",
  rfc: "§5.5: control frames must not be fragmented: " + REFUSE_1002,
  conforms: refused(1002),
  fullduplex: ENGINE_FAILS,
  send: (p) => {
    p.sendFrame(PING, "a", { fin: false });
    p.sendFrame(CONT, "b");
  },
});

// Close frames
const CLOSES = "Close codes and reasons";
for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000]) {
  cases.push({
    id: `close-code-${code}`,
    group: CLOSES,
    title: `close frame with code ${code}`,
    rfc: `§7.4: ${code} must not appear in a close frame: fail the connection with 1002`,
    conforms: (o) => closedWith(1002)(o),
    fullduplex:
      "engine's check; the `close` handler is not handed the invalid code (it sees what the engine reports, shown in the columns)",
    send: (p) => p.sendFrame(CLOSE, closePayload(code)),
  });
}
for (const code of [1000, 1001, 1003, 1007, 1011, 3000, 4999]) {
  cases.push({
    id: `close-code-${code}`,
    group: CLOSES,
    title: `close frame with valid code ${code} and reason "bye"`,
    rfc: "§5.5.1: answered with a close frame (echoing the code is usual); handler sees the code and reason",
    conforms: (o) =>
      o.close !== undefined && !o.open && o.handlerCloses.length === 1 && o.handlerCloses[0].code === code &&
      o.handlerCloses[0].reason === "bye",
    fullduplex: "the `close` handler gets the peer's code and reason",
    send: (p) => p.sendFrame(CLOSE, closePayload(code, "bye")),
  });
}
cases.push({
  id: "close-empty",
  group: CLOSES,
  title: "close frame with no payload",
  rfc: "§5.5.1: answered with a close frame; the application sees 1005 (no status)",
  conforms: (o) => o.close !== undefined && !o.open && o.handlerCloses.length === 1 && o.handlerCloses[0].code === 1005,
  fullduplex: "the `close` handler sees 1005",
  send: (p) => p.sendFrame(CLOSE, new Uint8Array(0)),
});
cases.push({
  id: "close-one-byte",
  known: DENO_DROPS,
  group: CLOSES,
  title: "close frame with a 1-byte payload",
  rfc: "§5.5.1: a body must start with a 2-byte code: fail the connection with 1002",
  conforms: closedWith(1002),
  fullduplex: ENGINE_FAILS,
  send: (p) => p.sendFrame(CLOSE, bytes(0x03)),
});
cases.push({
  id: "close-reason-123",
  group: CLOSES,
  title: "close 1000 with a 123-byte reason (the most that fits)",
  rfc: "§5.5: valid; answered, handler sees the whole reason",
  conforms: (o) => o.close !== undefined && o.handlerCloses.length === 1 && o.handlerCloses[0].reason === "r".repeat(123),
  fullduplex: "the `close` handler gets the reason",
  send: (p) => p.sendFrame(CLOSE, closePayload(1000, "r".repeat(123))),
});
cases.push({
  id: "close-reason-124",
  known: {
    deno: {
      what: "Deno accepts the 126-byte control frame and answers the close normally",
      severity: "must",
      matches: (o) => closedWith(1000)(o) && o.handlerCloses.length === 1 && o.handlerCloses[0].code === 1000,
    },
  },
  group: CLOSES,
  title: "close 1000 with a 124-byte reason (a 126-byte control frame)",
  rfc: "§5.5: a reason over 123 bytes cannot be in a valid frame: " + REFUSE_1002,
  conforms: closedWith(1002),
  fullduplex:
    "Bun refuses it; Deno's engine accepts it and nothing above the engine can tell (documented). fullduplex never sends one: `socket.close()` and the client throw RangeError for reasons over 123 bytes",
  send: (p) => p.sendFrame(CLOSE, closePayload(1000, "r".repeat(124))),
});
cases.push({
  id: "close-reason-invalid-utf8",
  known: DENO_DROPS,
  group: CLOSES,
  title: "close 1000 whose reason is invalid UTF-8 (0xFF)",
  rfc: "§5.5.1/§8.1: the reason must be UTF-8: fail the connection (1007 or 1002)",
  conforms: closedWith(1007, 1002),
  fullduplex: ENGINE_FAILS,
  send: (p) => p.sendFrame(CLOSE, concat(closePayload(1000), bytes(0x61, 0xff, 0x62))),
});
cases.push({
  id: "close-then-data",
  group: CLOSES,
  title: "text frame after the client's close frame",
  rfc: "§5.5.1: after a close frame, no more data is processed",
  conforms: (o) => o.close !== undefined && o.delivered.length === 0 && o.replies.length === 0,
  fullduplex: "engine's behaviour; the core also drops messages once a connection is closing",
  send: (p) => {
    p.write(concat(encodeFrame(CLOSE, closePayload(1000)), encodeFrame(TEXT, encoder.encode("late"))));
  },
});

// UTF-8
const UTF8 = "UTF-8 in text messages";
const invalidText: [string, string, Uint8Array][] = [
  ["utf8-invalid-byte", "text frame with the byte 0xFF", bytes(0x61, 0xff, 0x62)],
  ["utf8-overlong", "text frame with an overlong encoding (C0 AF)", bytes(0xc0, 0xaf)],
  ["utf8-surrogate", "text frame with an encoded UTF-16 surrogate (ED A0 80)", bytes(0xed, 0xa0, 0x80)],
  ["utf8-above-max", "text frame with a code point above U+10FFFF (F4 90 80 80)", bytes(0xf4, 0x90, 0x80, 0x80)],
  ["utf8-truncated", "text frame ending inside a character (E2 82)", bytes(0x61, 0xe2, 0x82)],
];
for (const [id, title, payload] of invalidText) {
  cases.push({
    id,
    group: UTF8,
    known: DENO_DROPS,
    title,
    rfc: "§8.1: invalid UTF-8 in a text message: fail the connection with 1007, deliver nothing",
    conforms: refused(1007),
    fullduplex: ENGINE_FAILS,
    send: (p) => p.sendFrame(TEXT, payload),
  });
}
cases.push({
  id: "utf8-valid-split",
  group: UTF8,
  title: "valid text with a 3-byte character (€) split across two fragments",
  rfc: "§8.1: validity is judged on the whole message: deliver it",
  conforms: answered("text 5 B"),
  fullduplex: "engine's check; the handler gets one whole message",
  send: (p) => {
    p.sendFrame(TEXT, bytes(0x61, 0xe2, 0x82), { fin: false });
    p.sendFrame(CONT, bytes(0xac, 0x62));
  },
});
cases.push({
  id: "utf8-invalid-split",
  known: DENO_DROPS,
  group: UTF8,
  title: "invalid UTF-8 across fragments (E2 82 then 0x28)",
  rfc: "§8.1: fail the connection with 1007, deliver nothing",
  conforms: refused(1007),
  fullduplex: ENGINE_FAILS,
  send: (p) => {
    p.sendFrame(TEXT, bytes(0x61, 0xe2, 0x82), { fin: false });
    p.sendFrame(CONT, bytes(0x28, 0x62));
  },
});
cases.push({
  id: "utf8-binary-not-checked",
  group: UTF8,
  title: "binary frame with bytes that are not UTF-8",
  rfc: "binary data is not validated: deliver it",
  conforms: answered("binary 3 B"),
  fullduplex: "delivered as bytes; `msg.text()` would decode with U+FFFD",
  send: (p) => p.sendFrame(BINARY, bytes(0xff, 0xfe, 0xfd)),
});

// Size
const SIZE = `Message size (server maxMessageBytes = ${CASE_MAX_MESSAGE_BYTES})`;
cases.push({
  id: "size-at-limit",
  group: SIZE,
  title: `binary frame of exactly ${CASE_MAX_MESSAGE_BYTES} bytes`,
  rfc: "within the server's limit: deliver it",
  conforms: answered(`binary ${CASE_MAX_MESSAGE_BYTES} B`),
  fullduplex: "delivered",
  send: (p) => p.sendFrame(BINARY, new Uint8Array(CASE_MAX_MESSAGE_BYTES)),
});
cases.push({
  id: "size-over-limit",
  group: SIZE,
  title: `binary frame of ${CASE_MAX_MESSAGE_BYTES + 1} bytes`,
  rfc: "§7.4.1: a message too big to process: close 1009, deliver nothing; the handler sees 1009",
  conforms: (o) => refused(1009)(o) && o.handlerCloses.length === 1 && o.handlerCloses[0].code === 1009,
  fullduplex:
    "Bun: native maxPayloadLength, the core reports 1009 to the handler (Bun says 1006). Deno: no engine limit (denoland/deno#15809); the core checks each whole message after Deno has read it (Deno's own ceiling is 64 MiB per frame)",
  send: (p) => p.sendFrame(BINARY, new Uint8Array(CASE_MAX_MESSAGE_BYTES + 1)),
});
cases.push({
  id: "size-text-over-limit-utf8",
  group: SIZE,
  title: `text of ${CASE_MAX_MESSAGE_BYTES / 2 + 1} two-byte characters (${CASE_MAX_MESSAGE_BYTES + 2} UTF-8 bytes)`,
  rfc: "the limit counts bytes: close 1009, deliver nothing",
  conforms: (o) => refused(1009)(o) && o.handlerCloses.length === 1 && o.handlerCloses[0].code === 1009,
  fullduplex: "same as above; the core counts UTF-8 bytes, not characters",
  send: (p) => p.sendFrame(TEXT, "é".repeat(CASE_MAX_MESSAGE_BYTES / 2 + 1)),
});
cases.push({
  id: "size-fragmented-over-limit",
  known: {
    deno: {
      what:
        "Deno drops TCP without sending the core's close 1009 when the peer's next frame is already in flight after a fragmented message (seen with any server close right after a fragmented message); the handler sees 1009",
      severity: "should",
      matches: (o) =>
        (refused(1009)(o) || (o.dropped && o.replies.length === 0 && o.delivered.length === 0)) && o.handlerCloses.length === 1 &&
        o.handlerCloses[0].code === 1009,
    },
  },
  group: SIZE,
  title: `binary message in 4 fragments of ${CASE_MAX_MESSAGE_BYTES / 2} bytes`,
  rfc: "the limit is per message, not per frame: close 1009, deliver nothing",
  conforms: (o) => refused(1009)(o) && o.handlerCloses.length === 1 && o.handlerCloses[0].code === 1009,
  fullduplex:
    "Bun: native (counts the fragments). Deno: accepts unlimited fragmented messages; the core checks the whole message once Deno has assembled it",
  send: (p) => {
    for (let i = 0; i < 4; i++) p.sendFrame(i === 0 ? BINARY : CONT, new Uint8Array(CASE_MAX_MESSAGE_BYTES / 2), { fin: i === 3 });
  },
});

// Handshake
const HS = "Opening handshake";
const handshakeCases: [string, string, ConformanceCase["handshake"], string][] = [
  [
    "handshake-version-8",
    "Sec-WebSocket-Version: 8",
    { headers: { "Sec-WebSocket-Version": "8" } },
    "426 with Sec-WebSocket-Version: 13 (§4.4)",
  ],
  ["handshake-no-version", "no Sec-WebSocket-Version", { headers: { "Sec-WebSocket-Version": null } }, "4xx (§4.2.1)"],
  ["handshake-no-key", "no Sec-WebSocket-Key", { headers: { "Sec-WebSocket-Key": null } }, "400 (§4.2.1)"],
  [
    "handshake-bad-key",
    "Sec-WebSocket-Key that is not 16 bytes of base64",
    { headers: { "Sec-WebSocket-Key": "c2hvcnQ=" } },
    "400 (§4.2.1)",
  ],
  ["handshake-post", "POST instead of GET", { method: "POST" }, "4xx (§4.2.1: the method must be GET)"],
  ["handshake-no-upgrade", "no Upgrade header", { headers: { Upgrade: null } }, "4xx (§4.2.1)"],
  ["handshake-no-connection", "no Connection header", { headers: { Connection: null } }, "4xx (§4.2.1)"],
  [
    "handshake-connection-keepalive",
    "Connection: keep-alive (no upgrade token)",
    { headers: { Connection: "keep-alive" } },
    "4xx (§4.2.1)",
  ],
];
for (const [id, title, handshake, rfc] of handshakeCases) {
  cases.push({
    id,
    group: HS,
    title,
    rfc: `refuse the upgrade: ${rfc}`,
    conforms: (o) => (id === "handshake-version-8" ? o.status === 426 && o.version === "13" : o.status >= 400 && o.status < 500),
    fullduplex:
      "checked in the core (src/server/upgrade.ts) before the engine sees the request, so both runtimes answer alike (Deno alone would answer 101 to version 8 and 500 to a missing key)",
    handshake,
  });
}
cases.push({
  id: "handshake-valid",
  group: HS,
  title: "valid handshake (the RFC's sample key)",
  rfc: "101 with Sec-WebSocket-Accept s3pPLMBiTxaQ9kYGzzhZRbK+xOo= (§1.3)",
  conforms: (o) => o.status === 101 && o.accept === "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" && answered()(o),
  fullduplex: "engine's handshake",
});

/** Every case, in report order. */
export const CASES: readonly ConformanceCase[] = cases;

// ---- running a case ----------------------------------------------------------------

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await delay(5);
  }
  return true;
}

/**
 * Runs one case against a fresh fullduplex server on the runtime running
 * this code and reports what happened. Bounded: at most a few seconds even
 * when the server reacts to nothing.
 */
export async function runCase(c: ConformanceCase): Promise<Observation> {
  const delivered: string[] = [];
  const ts = await startServer({
    maxMessageBytes: CASE_MAX_MESSAGE_BYTES,
    idleTimeout: 0,
    closeTimeout: 1,
    message(socket, msg) {
      if (!(msg.kind === "text" && msg.text() === PROBE)) {
        delivered.push(msg.kind === "text" ? describePayload("text", msg.text()) : describePayload("binary", msg.bytes()));
      }
      socket.send(msg.kind === "text" ? msg.text() : msg.bytes());
    },
    error() {},
  });
  let peer: RawPeer | undefined;
  try {
    peer = await rawConnect(ts.port, c.handshake?.headers ?? {}, "/", { method: c.handshake?.method ?? "GET" });
    const accept = /^sec-websocket-accept:\s*(\S+)\s*$/im.exec(peer.head)?.[1];
    const version = /^sec-websocket-version:\s*(\S+)\s*$/im.exec(peer.head)?.[1];
    const obs: Observation = {
      status: peer.status,
      accept,
      version,
      close: undefined,
      dropped: false,
      open: false,
      replies: [],
      delivered,
      handlerCloses: [],
    };
    if (peer.status !== 101) return obs;
    const p = peer;
    await c.send?.(p);
    p.sendFrame(TEXT, PROBE);
    const isProbe = (f: Frame) => f.opcode === TEXT && f.payload.length === PROBE.length && new TextDecoder().decode(f.payload) === PROBE;
    const closeFrame = () => p.frames.find((f) => f.opcode === CLOSE);
    await waitFor(() => p.isEnded() || closeFrame() !== undefined || p.frames.some(isProbe), 5000);
    if (closeFrame() !== undefined) await waitFor(() => p.isEnded(), 1500);
    obs.open = p.frames.some(isProbe);
    if (obs.open && closeFrame() === undefined) {
      // Still open: end it cleanly so the close handler runs.
      p.sendFrame(CLOSE, closePayload(1000, "done"));
      await waitFor(() => p.isEnded() || closeFrame() !== undefined, 1500);
    }
    const close = p.frames.find((f) => f.opcode === CLOSE);
    const own = obs.open ? undefined : close; // a close after the probe answered our own "done"
    obs.close = own === undefined ? undefined : {
      code: own.payload.length >= 2 ? (own.payload[0] << 8) | own.payload[1] : null,
      reason: new TextDecoder().decode(own.payload.subarray(2)),
    };
    obs.dropped = !obs.open && own === undefined && p.isEnded();
    obs.replies = p.frames.filter((f) => !isProbe(f)).map(describeFrame).filter((s): s is string => s !== undefined);
    p.destroy();
    await ts.waitCloses(1, 3000).catch(() => {});
    await delay(20); // a second (duplicate) close call would show up here
    obs.handlerCloses = ts.closes.map((x) => ({ code: x.info.code, reason: x.info.reason }));
    return obs;
  } finally {
    peer?.destroy();
    await ts.stop();
  }
}

/** A one-line summary of an observation, as the report prints it. */
export function summarize(o: Observation): string {
  if (o.status !== 101) return `HTTP ${o.status}${o.version !== undefined ? ` (Sec-WebSocket-Version: ${o.version})` : ""}`;
  const parts: string[] = [];
  if (o.replies.length > 0) parts.push(o.replies.join(", "));
  if (o.close !== undefined) parts.push(`close ${o.close.code ?? "(no code)"}`);
  else if (o.dropped) parts.push("TCP dropped, no close frame");
  else if (o.open) parts.push("stays open");
  else parts.push("no reaction");
  if (o.delivered.length > 0) parts.push(`handler got ${o.delivered.join(", ")}`);
  const hc = o.handlerCloses;
  if (hc.length === 0) parts.push("close handler not run");
  else parts.push(`handler close ${hc.map((h) => h.code).join(" + ")}`);
  return parts.join("; ");
}
