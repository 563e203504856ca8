/**
 * crossws (npm) on Deno: its Deno adapter over Deno.serve, hooks doing the
 * same job as the other targets. Run: `deno run -A crossws_deno.ts <mode>`.
 *
 * @module
 */

import crossws from "crossws/adapters/deno";
import { crosswsHooks } from "./crossws_hooks.ts";
import { readyLine, serverMode } from "./mode.ts";

const mode = serverMode(Deno.args);

const ws = crossws({ hooks: crosswsHooks(mode) });
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req, info) => ws.handleUpgrade(req, info));
console.log(readyLine(server.addr.port));
