/** The payloads a history store written on one runtime must give back identically on the other. */
export function crossRuntimePayloads(): (string | Uint8Array)[] {
  return [
    "hello",
    "",
    "héllo\nwörld \u{1f600} \u0000",
    '{"price":42}',
    Uint8Array.from({ length: 256 }, (_, i) => i),
    new Uint8Array(0),
    new Uint8Array([116, 0, 98]),
  ];
}
