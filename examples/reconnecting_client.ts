/**
 * A client that rides out server restarts and dead links: reconnect with
 * backoff and jitter, an offline queue for what is sent meanwhile, and a
 * heartbeat that finds a silent server. It sends `tick 1` … `tick N`, one
 * every `ms`, prints every reply, and closes once the echo of the last tick
 * has come back. Restart the server while it runs to watch it reconnect.
 *
 *   deno run -A examples/reconnecting_client.ts [ws://localhost:8080] [N=10] [ms=1000]
 *   bun run examples/reconnecting_client.ts ws://localhost:8080 5 200
 *
 * Prints (against the demo server, which echoes):
 *   Connected to ws://localhost:8080
 *   Received: Echo: tick 1
 *   … (when the server goes away)
 *   Connection lost (1006); reconnecting (attempt 1) in 312 ms
 *   Reconnected to ws://localhost:8080
 *   Received: Echo: tick 3
 *   …
 *   Closed (1000)
 *
 * @module
 */

import { connect } from "../mod.ts";
import { errorText, exit, scriptArgs } from "../demo/cli.ts";

const [url = "ws://localhost:8080", countArg = "10", everyArg = "1000"] = scriptArgs();
const count = Number(countArg);
const every = Number(everyArg);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  const client = await connect(url, {
    reconnect: { minDelay: 250, maxDelay: 5_000 }, // retries forever (maxRetries: Infinity)
    heartbeat: { interval: 5_000, timeout: 2_000 }, // a silent server is dropped within ~7 s
    queue: { maxMessages: 100 }, // ticks sent while offline wait here, in order
  });
  console.log(`Connected to ${client.url}`);
  client.on(
    "reconnecting",
    ({ attempt, delay, code }) => console.log(`Connection lost (${code}); reconnecting (attempt ${attempt}) in ${delay} ms`),
  );
  client.on("reconnected", ({ url }) => console.log(`Reconnected to ${url}`));
  client.on("drop", ({ data }) => console.log(`Not sent: ${String(data)}`));

  const last = `tick ${count}`;
  const reading = (async () => {
    for await (const message of client) {
      console.log(`Received: ${message.text()}`);
      if (message.text().endsWith(last)) await client.close();
    }
  })();
  for (let i = 1; i <= count; i++) {
    client.send(`tick ${i}`); // goes to the offline queue while reconnecting
    await pause(every);
  }
  await reading;
  console.log(`Closed (${client.closeCode})`);
} catch (err) {
  console.log(`Error: ${errorText(err)}`);
  exit(1);
}
