/**
 * How the command shows a received message: text as it came (or JSON
 * pretty-printed with `--pretty`), binary as a hex dump with offsets and
 * printable ASCII, the way `hexdump -C` shows it.
 *
 * @module
 */

import type { Message } from "../client/mod.ts";

/** Options of {@link renderMessage}. */
export interface RenderOptions {
  /** Pretty-print text that is a JSON object or array (two-space indent). */
  pretty: boolean;
}

/** The lines to print for one message (text with line breaks gives several). */
export function renderMessage(msg: Message, options: RenderOptions): string[] {
  if (msg.kind === "binary") return hexDump(msg.bytes());
  const text = msg.text();
  return (options.pretty ? prettyJson(text) ?? text : text).split("\n");
}

/** Text that is a JSON object or array, re-indented; `undefined` for anything else. */
export function prettyJson(text: string): string | undefined {
  const first = text.trimStart()[0];
  if (first !== "{" && first !== "[") return undefined;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return undefined;
  }
}

/**
 * `hexdump -C` style: `00000000  01 02 03 …  |...|`, 16 bytes a line; an
 * empty message is one line saying so.
 */
export function hexDump(bytes: Uint8Array): string[] {
  if (bytes.length === 0) return ["(empty binary message)"];
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    let hex = "";
    let ascii = "";
    for (let i = 0; i < 16; i++) {
      if (i === 8) hex += " ";
      if (i < row.length) {
        hex += `${row[i].toString(16).padStart(2, "0")} `;
        ascii += row[i] >= 0x20 && row[i] < 0x7f ? String.fromCharCode(row[i]) : ".";
      } else hex += "   ";
    }
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex} |${ascii}|`);
  }
  return lines;
}
