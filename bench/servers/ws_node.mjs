// ws (npm) on Node.js, without the optional bufferutil/utf-8-validate
// packages (what `npm install ws` gives most users). Compression off (ws's
// server default). Fan-out is a hand loop over subscribers: ws has no topics.
// Run: `node ws_node.mjs <mode>`. Plain JavaScript: Node 20 cannot run .ts.

import { WebSocketServer } from "ws";

const mode = process.argv[2] ?? "echo";
if (!["echo", "json", "fanout"].includes(mode)) throw new RangeError(`unknown mode ${mode}`);
const subscribers = new Set();

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false }, () => {
  console.log(`READY ${wss.address().port}`);
});

wss.on("connection", (ws, req) => {
  if (mode === "echo") {
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  } else if (mode === "json") {
    ws.on("message", (data) => ws.send(JSON.stringify(JSON.parse(data.toString()))));
  } else if (req.url.endsWith("?pub")) {
    ws.on("message", (data) => {
      const text = data.toString();
      for (const s of subscribers) s.send(text);
    });
  } else {
    subscribers.add(ws);
    ws.on("close", () => subscribers.delete(ws));
  }
});
