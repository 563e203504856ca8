/**
 * The Flutter article's client: listen and print every message, send a
 * JSON-encoded message, close after a while (5 s in the article).
 *
 *   deno run -A examples/flutter_json_client.ts [ws://localhost:8080] [wait-ms]
 *
 * Prints (against examples/echo_server.ts):
 *   Received message: Echo: {"message":"Hello, WebSocket!"}
 *
 * @module
 */

import { connect } from "../mod.ts";
import { errorText, exit, scriptArgs } from "../demo/cli.ts";

const [url = "ws://localhost:8080", wait = "5000"] = scriptArgs();
try {
  const socket = await connect(url);
  socket.on("message", (message) => console.log(`Received message: ${message.text()}`));
  socket.sendJson({ message: "Hello, WebSocket!" });
  await new Promise((resolve) => setTimeout(resolve, Number(wait)));
  await socket.close();
} catch (err) {
  console.log(`Error: ${errorText(err)}`);
  exit(1);
}
