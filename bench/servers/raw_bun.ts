/**
 * The floor on Bun: Bun.serve's websocket handlers with the job done by
 * hand, engine defaults (compression off), no library. Fan-out uses Bun's
 * native publish. Run: `bun run raw_bun.ts <mode>`.
 *
 * @module
 */

import { bunArgs, bunGlobal } from "./bun_types.ts";
import type { BunWs } from "./bun_types.ts";
import { isPublisher, readyLine, serverMode, TOPIC } from "./mode.ts";

const mode = serverMode(bunArgs());
type Data = { publisher: boolean };

const message = mode === "echo"
  ? (ws: BunWs<Data>, m: string | Uint8Array) => ws.send(m)
  : mode === "json"
  ? (ws: BunWs<Data>, m: string | Uint8Array) => ws.send(JSON.stringify(JSON.parse(m as string)))
  : (ws: BunWs<Data>, m: string | Uint8Array) => {
    if (ws.data.publisher) server.publish(TOPIC, m);
  };

const server = bunGlobal().serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req, srv) {
    const publisher = isPublisher(req.url);
    if (srv.upgrade(req, { data: { publisher } })) return undefined;
    return new Response("upgrade failed", { status: 400 });
  },
  websocket: {
    open(ws: BunWs<Data>) {
      if (mode === "fanout" && !ws.data.publisher) ws.subscribe(TOPIC);
    },
    message,
  },
});
console.log(readyLine(server.port));
