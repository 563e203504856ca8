/**
 * The raw Deno echo server (as bench/servers/raw_deno.ts) instrumented for
 * the memory investigation: every 20 ms it samples the sum of
 * `bufferedAmount` over all sockets (bytes queued to send) and
 * Deno.memoryUsage() (V8 heap and `external`: ArrayBuffer backing stores),
 * and prints the maxima as `STATS {json}` every 500 ms.
 *
 * Usage: `deno run -A [--v8-flags=--expose-gc] deno_rss_server.ts [gcEveryMs] [detach]`:
 * with a positive `gcEveryMs` (and --expose-gc), forces a V8 GC that often;
 * with `detach`, each received ArrayBuffer is detached (`transfer(0)`) right
 * after it was echoed, which frees its memory at once instead of at the next GC.
 *
 * @module
 */

const gcEveryMs = Number(Deno.args[0] ?? 0);
const detach = Deno.args[1] === "detach";
const sockets = new Set<WebSocket>();
const max = { buffered: 0, external: 0, heapUsed: 0, rss: 0 };

const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
  const { socket, response } = Deno.upgradeWebSocket(req);
  socket.onopen = () => sockets.add(socket);
  socket.onclose = () => sockets.delete(socket);
  socket.onmessage = detach
    ? (e: MessageEvent) => {
      const data = e.data as ArrayBuffer & { transfer(length: number): ArrayBuffer };
      socket.send(data);
      data.transfer(0);
    }
    : (e: MessageEvent) => socket.send(e.data as ArrayBuffer);
  return response;
});

setInterval(() => {
  let buffered = 0;
  for (const s of sockets) buffered += s.bufferedAmount;
  const m = Deno.memoryUsage();
  max.buffered = Math.max(max.buffered, buffered);
  max.external = Math.max(max.external, m.external);
  max.heapUsed = Math.max(max.heapUsed, m.heapUsed);
  max.rss = Math.max(max.rss, m.rss);
}, 20);
setInterval(() => console.log("STATS " + JSON.stringify(max)), 500);
const gc = (globalThis as { gc?: () => void }).gc;
if (gcEveryMs > 0) {
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc to force GCs");
  setInterval(gc, gcEveryMs);
}
console.log(`READY ${server.addr.port}`);
