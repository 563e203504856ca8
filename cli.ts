/**
 * The `fullduplex` command: a WebSocket client for the command line (what
 * wscat and websocat are used for) and `fullduplex serve`, the demo server.
 *
 *   deno run -A jsr:@fullduplex/fullduplex/cli ws://localhost:8080 Hello
 *   npx fullduplex ws://localhost:8080            (the npm package's `bin`; Node.js 22+)
 *   bunx --bun fullduplex serve --port 8080
 *
 * `fullduplex --help` lists the options and the exit codes. Run as a
 * program it reads `process.argv` and exits; imported, {@link main} runs a
 * command line and resolves with the exit code.
 *
 * @example Run a command line from a script
 * ```ts
 * import { main } from "@fullduplex/fullduplex/cli";
 * const code = await main(["ws://localhost:8080", "--json", '{"type":"greeting"}', "--pretty"]);
 * if (code !== 0) console.error(`fullduplex exited with ${code}`);
 * ```
 *
 * @module
 */

import process from "node:process";
import { runCli } from "./src/cli/main.ts";
import { flushStdio } from "./src/cli/output.ts";

/**
 * Runs a `fullduplex` command line (without the program name) and resolves
 * with its exit code; `fullduplex serve` resolves once the server has shut
 * down (SIGINT or SIGTERM).
 *
 * @example Send one message and print the reply
 * ```ts
 * import { main } from "@fullduplex/fullduplex/cli";
 * const code = await main(["ws://localhost:8080", "Hello"]); // prints "Echo: Hello"
 * console.log(code); // 0
 * ```
 */
export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  return await runCli(args, {
    // Loaded only for `serve`: the client side never loads the server code.
    serve: async (serveArgs) => (await import("./demo/server.ts")).runDemoServer(serveArgs, { name: "fullduplex serve" }),
  });
}

// `deno run …/cli.ts`, `bun run cli.ts`; the npm package's bin calls main() itself.
if ((import.meta as ImportMeta & { main?: boolean }).main) {
  const code = await main();
  await flushStdio();
  process.exit(code);
}
