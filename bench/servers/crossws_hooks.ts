/**
 * The crossws hooks every crossws target runs (the same job as the other
 * targets, per mode), shared by crossws_bun.ts and crossws_deno.ts.
 *
 * @module
 */

import type { Hooks } from "crossws";
import { isPublisher, TOPIC } from "./mode.ts";
import type { ServerMode } from "./mode.ts";

/** Hooks for a mode. For fan-out the publisher is not subscribed, so peer.publish reaches every subscriber (Bun: native ws.publish; Deno: crossws's loop over peers). */
export function crosswsHooks(mode: ServerMode): Partial<Hooks> {
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
    message(peer, msg) {
      peer.publish(TOPIC, msg.text());
    },
  };
}
