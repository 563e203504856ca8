/**
 * Seed example "Binary Data Transfer" (Dart tutorial): send five bytes,
 * print what comes back.
 *
 *   deno run -A examples/binary_client.ts [ws://localhost:8080]
 *
 * Prints (against the demo server, which echoes binary frames):
 *   Received binary: [1, 2, 3, 4, 5]
 *
 * @module
 */

import { connect } from "../mod.ts";
import { errorText, exit, formatBytes, scriptArgs } from "../demo/cli.ts";

const url = scriptArgs()[0] ?? "ws://localhost:8080";
try {
  const socket = await connect(url);
  socket.send(new Uint8Array([1, 2, 3, 4, 5]));
  for await (const message of socket) {
    if (message.kind === "binary") console.log(`Received binary: ${formatBytes(message.bytes())}`);
    else console.log(`Received text: ${message.text()}`);
    await socket.close();
  }
} catch (err) {
  console.log(`Error: ${errorText(err)}`);
  exit(1);
}
