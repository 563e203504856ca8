/**
 * Inputs for the tests that error texts stay on one line whatever the peer
 * sent (tests/message.test.ts, tests/protocol_server.test.ts).
 */

/** A raw control character, DEL or line/paragraph separator: what must never reach an error text. */
export const RAW_CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;

/** Invalid JSON carrying what could break a log line or an error reply (engines quote the input in their errors). */
export const INVALID_JSON_WITH_CONTROLS = [
  '{"a":\n nope}',
  '{"a":"line one\nline two"}',
  "{\r\n\t",
  '{"bell":"\u0007", oops}',
  "\u001b[31m{red}",
  "{\u0000}",
  "{\u007f}",
  '{"sep":"\u2028", x}',
  "\u2029[1,",
];
