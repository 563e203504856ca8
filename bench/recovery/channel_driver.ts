/**
 * A cluster fan-out driver (bench/cluster/drivers.ts) for subscribers that
 * could recover: fullduplex's channels protocol (docs/channels.md) spoken
 * by hand over a plain WebSocket, like the `socketio-raw` control speaks
 * socket.io's. It offers `fullduplex.channels.v1`, sends
 * `c{"t":"sub","id":1,"topic":"bench","recover":true}`, opens once the
 * server's `ok` came (with the position the publications follow), and
 * takes each `c{"t":"msg",…,"data":…,"epoch":…,"offset":…}` frame's
 * `data` as a delivery. What the fullduplex client receives on a topic
 * with history, without the client's own per-message work, so that server
 * CPU per delivery compares with the plain subscribers' run by run.
 * Subscribers only: the publisher stays a plain WebSocket (`/?pub`).
 *
 * @module
 */

import type { Driver, Link } from "../cluster/drivers.ts";
import { wsDriver } from "../cluster/drivers.ts";
import { TOPIC } from "../servers/mode.ts";

const PROTOCOL = "fullduplex.channels.v1";
const isBun = typeof (globalThis as Record<string, unknown>).Bun === "object";

interface ControlFrame {
  t: string;
  id?: number;
  data?: string;
  reason?: string;
}

/** Channels subscribers with `recover: true` on {@link TOPIC}. */
export const channelsDriver: Driver = {
  name: "fd-channels",
  open(url, role, timeoutMs) {
    if (role === "publisher") return wsDriver.open(url, role, timeoutMs);
    const target = `${url}/`;
    const ws = isBun
      ? new (WebSocket as unknown as new (url: string, options: object) => WebSocket)(target, {
        perMessageDeflate: false,
        protocols: [PROTOCOL],
      })
      : new WebSocket(target, [PROTOCOL]);
    let closing = false;
    const link: Link = {
      onText: null,
      onLost: null,
      send: (text) => ws.send(`m${text}`),
      close() {
        closing = true;
        if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
        const closed = new Promise<void>((resolve) => ws.addEventListener("close", () => resolve()));
        ws.close(1000);
        let timer: ReturnType<typeof setTimeout> | undefined;
        return Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 3000)))]).finally(() =>
          clearTimeout(timer)
        );
      },
    };
    ws.onclose = (e: CloseEvent) => {
      if (!closing) link.onLost?.(`closed (${e.code})`);
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    return new Promise<Link>((resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`${target} did not subscribe within ${timeoutMs} ms`));
        ws.close();
      }, timeoutMs);
      ws.onerror = () => reject(new Error(`${target} failed to open`));
      ws.onopen = () => {
        if (ws.protocol !== PROTOCOL) return reject(new Error(`${target} did not agree to ${PROTOCOL} (got "${ws.protocol}")`));
        ws.send(`c${JSON.stringify({ t: "sub", id: 1, topic: TOPIC, recover: true })}`);
      };
      ws.onmessage = (e: MessageEvent) => {
        const text = e.data as string;
        if (text[0] !== "c") return; // an application frame: none are sent to subscribers
        const frame = JSON.parse(text.slice(1)) as ControlFrame;
        if (frame.t === "msg") link.onText?.(frame.data!);
        else if (frame.t === "ok" && frame.id === 1) resolve(link);
        else if (frame.id === 1) reject(new Error(`${target}: sub answered ${text}`));
      };
    }).finally(() => clearTimeout(timer));
  },
};
