/**
 * Seed example "WebSocket with JSON" (Dart tutorial): send a greeting as
 * JSON, decode the JSON reply.
 *
 *   deno run -A examples/json_client.ts [ws://localhost:8080]
 *
 * Prints (against the demo server):
 *   Received JSON: response - Hello Client
 *
 * @module
 */

import { connect } from "../mod.ts";
import { errorText, exit, scriptArgs } from "../demo/cli.ts";

const url = scriptArgs()[0] ?? "ws://localhost:8080";
try {
  const socket = await connect(url);
  socket.sendJson({ type: "greeting", content: "Hello Server" });
  for await (const message of socket) {
    try {
      const response = message.json<{ type?: unknown; content?: unknown }>();
      console.log(`Received JSON: ${response.type} - ${response.content}`);
    } catch (err) {
      console.log(`Error parsing JSON: ${errorText(err)}`);
    }
    await socket.close();
  }
} catch (err) {
  console.log(`Error: ${errorText(err)}`);
  exit(1);
}
