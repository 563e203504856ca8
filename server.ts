/**
 * The demo server: echo + JSON + binary on one endpoint (the seeds'
 * server), and a small browser page at `/`. The same as `fullduplex serve`
 * (demo/server.ts).
 *
 *   deno run -A server.ts [--port 8080] [--host localhost] [--max-message-bytes 1048576]
 *                         [--idle-timeout 60] [--rate-limit 100] [--max-per-address 64]
 *                         [--upgrades-per-second 20] [--quiet]
 *   bun run server.ts …
 *
 * Ctrl-C (SIGINT) or SIGTERM closes every peer with 1001 and exits.
 *
 * @module
 */

import process from "node:process";
import { runDemoServer } from "./demo/server.ts";
import { scriptArgs } from "./demo/cli.ts";

process.exit(await runDemoServer(scriptArgs(), { name: "server.ts" }));
