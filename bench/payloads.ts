/** Payloads shared by the load generator and the micro-benchmark, so both measure the same message. */

/** A JSON object typical of app traffic (~100 bytes); re-encoding keeps it byte-identical. */
export const JSON_PAYLOAD: string = JSON.stringify({
  type: "chat",
  room: "lobby",
  user: { id: 42, name: "ann" },
  text: "hello, world",
  tags: ["a", "b"],
  seq: 7,
  ok: true,
});
