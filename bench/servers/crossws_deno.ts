/**
 * crossws (npm) on Deno: its Deno adapter over Deno.serve, hooks doing the
 * same job as the other targets. Run: `deno run -A crossws_deno.ts <mode>`.
 *
 * @module
 */

import crossws from "crossws/adapters/deno";
import type { Hooks } from "crossws";
import { isPublisher, readyLine, serverMode, TOPIC } from "./mode.ts";

const mode = serverMode(Deno.args);

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
    // The publisher is not subscribed, so peer.publish (a loop over peers on Deno) reaches every subscriber.
    message(peer, msg) {
      peer.publish(TOPIC, msg.text());
    },
  };
}

const ws = crossws({ hooks: hooksFor() });
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req, info) => ws.handleUpgrade(req, info));
console.log(readyLine(server.addr.port));
