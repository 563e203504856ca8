/**
 * The floor on Deno: Deno.serve + Deno.upgradeWebSocket with the job done by
 * hand, engine defaults, no library. Run: `deno run -A raw_deno.ts <mode>`.
 *
 * @module
 */

import { isPublisher, readyLine, serverMode } from "./mode.ts";

const mode = serverMode(Deno.args);
const subscribers = new Set<WebSocket>();

function accept(req: Request): Response {
  const { socket, response } = Deno.upgradeWebSocket(req);
  if (mode === "echo") {
    socket.onmessage = (e: MessageEvent) => socket.send(e.data as string | ArrayBuffer);
  } else if (mode === "json") {
    socket.onmessage = (e: MessageEvent) => socket.send(JSON.stringify(JSON.parse(e.data as string)));
  } else if (isPublisher(req.url)) {
    // Deno has no pub/sub: a hand loop over the subscribers is the floor.
    socket.onmessage = (e: MessageEvent) => {
      const data = e.data as string;
      for (const s of subscribers) s.send(data);
    };
  } else {
    socket.onopen = () => subscribers.add(socket);
    socket.onclose = () => subscribers.delete(socket);
  }
  return response;
}

const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, accept);
console.log(readyLine(server.addr.port));
