/**
 * crossws (npm) on Bun: its Bun adapter's handlers given to Bun.serve, hooks
 * doing the same job as the other targets. Run: `bun run crossws_bun.ts <mode>`.
 *
 * @module
 */

import crossws from "crossws/adapters/bun";
import type { Hooks } from "crossws";
import { bunArgs, bunGlobal } from "./bun_types.ts";
import type { BunServerLike } from "./bun_types.ts";
import { isPublisher, readyLine, serverMode, TOPIC } from "./mode.ts";

const mode = serverMode(bunArgs());

function hooksFor(): Partial<Hooks> {
  if (mode === "echo") {
    return {
      message(peer, msg) {
        peer.send(typeof msg.rawData === "string" ? msg.text() : msg.uint8Array());
      },
    };
  }
  if (mode === "json") {
    return {
      message(peer, msg) {
        peer.send(JSON.stringify(msg.json()));
      },
    };
  }
  return {
    open(peer) {
      if (!isPublisher(peer.request.url)) peer.subscribe(TOPIC);
    },
    // The publisher is not subscribed, so Bun's native ws.publish reaches every subscriber.
    message(peer, msg) {
      peer.publish(TOPIC, msg.text());
    },
  };
}

const ws = crossws({ hooks: hooksFor() });
const server = bunGlobal().serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (req, srv) => ws.handleUpgrade(req, srv as never) as Promise<Response | undefined>,
  websocket: ws.websocket as unknown as Record<string, unknown>,
});
console.log(readyLine((server as BunServerLike).port));
