/**
 * crossws (npm) on Bun: its Bun adapter's handlers given to Bun.serve, hooks
 * doing the same job as the other targets. Run: `bun run crossws_bun.ts <mode>`.
 *
 * @module
 */

import crossws from "crossws/adapters/bun";
import { crosswsHooks } from "./crossws_hooks.ts";
import { bunArgs, bunGlobal } from "./bun_types.ts";
import type { BunServerLike } from "./bun_types.ts";
import { readyLine, serverMode } from "./mode.ts";

const mode = serverMode(bunArgs());

const ws = crossws({ hooks: crosswsHooks(mode) });
const server = bunGlobal().serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (req, srv) => ws.handleUpgrade(req, srv as never) as Promise<Response | undefined>,
  websocket: ws.websocket as unknown as Record<string, unknown>,
});
console.log(readyLine((server as BunServerLike).port));
