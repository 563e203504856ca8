/**
 * Seed example "WebSocket with Error Handling" (Dart tutorial): listen with
 * data/error/done callbacks, send two pings a second apart, close.
 *
 *   deno run -A examples/error_handling.ts [ws://localhost:8080]
 *
 * Prints (against the demo server, which echoes):
 *   Message: Echo: Ping
 *   Message: Echo: Ping 2
 *   Connection closed
 * and `Connection error: …` when nothing listens at the URL.
 *
 * @module
 */

import { connect } from "../mod.ts";
import type { Client } from "../mod.ts";
import { errorText, exit, scriptArgs } from "../demo/cli.ts";

const url = scriptArgs()[0] ?? "ws://localhost:8080";
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let socket: Client | undefined;
try {
  socket = await connect(url);
  socket.listen(
    (data) => console.log(`Message: ${data.text()}`),
    {
      onError: (err) => console.log(`Error: ${err.message}`),
      onDone: () => console.log("Connection closed"),
    },
  );
  socket.send("Ping");
  await pause(1000);
  socket.send("Ping 2");
  await pause(1000);
  await socket.close();
} catch (err) {
  console.log(`Connection error: ${errorText(err)}`);
  await socket?.close();
  exit(1);
}
