/**
 * A test client for the topic relay protocol: records every message it
 * receives ("t:text" or "b:hex") and waits for them with a bounded wait.
 */

import { connect } from "../../mod.ts";
import type { Client } from "../../mod.ts";
import { hex } from "../fixtures/topic_relay.ts";
import { until } from "./runtime.ts";

/** A connected client with everything it received. */
export interface Recorder {
  client: Client;
  received: string[];
  /** Waits until a received entry equals `entry` (or throws after `ms`). */
  waitFor(entry: string, ms?: number): Promise<void>;
  /** Waits until `n` entries have arrived. */
  waitCount(n: number, ms?: number): Promise<void>;
  /** Sends a relay command. */
  send(command: string): void;
}

/** Connects to `url` subscribed to `subs` and waits for the server's "subscribed". */
export async function recorder(url: string, subs: string[] = []): Promise<Recorder> {
  const client = await connect(`${url}/?sub=${subs.join(",")}`, { timeout: 10_000 });
  const received: string[] = [];
  client.on("message", (msg) => {
    received.push(msg.kind === "text" ? `t:${msg.text()}` : `b:${hex(msg.bytes())}`);
  });
  const rec: Recorder = {
    client,
    received,
    waitFor: (entry, ms = 10_000) => until(() => received.includes(entry), `${entry} (got ${received.slice(-5).join(" | ")})`, ms),
    waitCount: (n, ms = 10_000) => until(() => received.length >= n, `${n} messages (got ${received.length})`, ms),
    send: (command) => client.send(command),
  };
  await rec.waitFor("t:subscribed");
  received.length = 0;
  return rec;
}
