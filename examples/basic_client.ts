/**
 * Seed example "Basic WebSocket Client" (Dart tutorial): connect, send one
 * message, print the reply, close.
 *
 *   deno run -A examples/basic_client.ts [ws://localhost:8080]
 *
 * Prints:
 *   Connected to WebSocket server
 *   Received: Echo: Hello from fullduplex!
 *
 * @module
 */

import { connect } from "../mod.ts";
import { errorText, exit, scriptArgs } from "../demo/cli.ts";

const url = scriptArgs()[0] ?? "ws://localhost:8080";
try {
  const socket = await connect(url);
  console.log("Connected to WebSocket server");
  socket.send("Hello from fullduplex!");
  for await (const message of socket) {
    console.log(`Received: ${message.text()}`);
    await socket.close();
  }
} catch (err) {
  console.log(`Error: ${errorText(err)}`);
  exit(1);
}
