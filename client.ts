/**
 * A command-line WebSocket client (like wscat).
 *
 *   bun run client.ts [url] [message]          send text, print the first reply, exit
 *   bun run client.ts [url] --json '{"type":"greeting","content":"Hello Server"}'
 *   bun run client.ts [url] --binary 1,2,3
 *   bun run client.ts [url] -i                 send each stdin line, print replies until EOF
 *   deno run -A client.ts …
 *
 * Prints `Connected to <url>`, then `Received: <text>` or
 * `Received binary: [1, 2, 3]` per reply. On failure prints `Error: …` and
 * exits 1.
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { createInterface } from "node:readline";
import { connect } from "./mod.ts";
import type { Client, Message } from "./mod.ts";
import { errorText, formatBytes, scriptArgs } from "./demo/cli.ts";

const USAGE = "usage: client.ts [url] [message] [--json JSON] [--binary 1,2,3] [-i] [--timeout MS]";

function fail(message: string, code = 1): never {
  console.error(`Error: ${message}`);
  process.exit(code);
}

function parseBinary(list: string): Uint8Array {
  const parts = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const bytes = parts.map(Number);
  if (bytes.length === 0 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    fail(`--binary takes comma-separated byte values from 0 to 255, got ${JSON.stringify(list)}`, 2);
  }
  return new Uint8Array(bytes);
}

function printReply(msg: Message): void {
  console.log(msg.kind === "text" ? `Received: ${msg.text()}` : `Received binary: ${formatBytes(msg.bytes())}`);
}

let parsed;
try {
  parsed = parseArgs({
    args: scriptArgs(),
    allowPositionals: true,
    options: {
      json: { type: "string" },
      binary: { type: "string" },
      interactive: { type: "boolean", short: "i", default: false },
      timeout: { type: "string", default: "10000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (err) {
  fail(`${errorText(err)}\n${USAGE}`, 2);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const url = positionals[0] ?? "ws://localhost:8080";
const timeout = Number(values.timeout);
if (!Number.isInteger(timeout) || timeout <= 0) fail(`--timeout takes milliseconds, got ${values.timeout}`, 2);

let payload: string | Uint8Array;
if (values.json !== undefined) {
  try {
    payload = JSON.stringify(JSON.parse(values.json));
  } catch (err) {
    fail(`--json is not valid JSON: ${errorText(err)}`, 2);
  }
} else if (values.binary !== undefined) {
  payload = parseBinary(values.binary);
} else {
  payload = positionals[1] ?? "Hello from fullduplex!";
}

let ws: Client;
try {
  ws = await connect(url, { timeout });
} catch (err) {
  fail(errorText(err));
}
console.log(`Connected to ${url}`);
ws.on("error", (err) => console.error(`Error: ${err.message}`));

if (values.interactive) {
  // Send each line; print replies as they come; at EOF wait briefly for the
  // last replies, then close.
  ws.on("message", printReply);
  const lines = createInterface({ input: process.stdin, terminal: false });
  let ended = false;
  ws.closed.then((info) => {
    if (!ended) {
      console.log(`Connection closed (${info.code}${info.reason ? ` ${info.reason}` : ""})`);
      process.exit(info.code === 1000 ? 0 : 1);
    }
  });
  for await (const line of lines) {
    if (ws.readyState !== 1) break;
    ws.send(line);
  }
  ended = true;
  await new Promise((resolve) => setTimeout(resolve, 500));
  await ws.close(1000, "done");
  process.exit(0);
} else {
  ws.send(payload);
  let replied = false;
  const timer = setTimeout(() => fail(`no reply from ${url} within ${timeout} ms`), timeout);
  for await (const msg of ws) {
    printReply(msg);
    replied = true;
    break;
  }
  clearTimeout(timer);
  if (!replied) fail(`${url} closed the connection (${ws.closeCode}) before replying`);
  await ws.close(1000, "done");
  process.exit(0);
}
