/**
 * The small page server.ts serves at `/`: talks to the server from a
 * browser with the standard WebSocket.
 *
 * @module
 */

/** HTML of the demo page. */
export const DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fullduplex demo</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
  #log { background: #111; color: #ddd; padding: .75rem; height: 20rem; overflow: auto; font: 13px/1.4 ui-monospace, monospace; white-space: pre-wrap; }
  #state { font-weight: bold; }
  input { width: 60%; }
</style>
</head>
<body>
<h1>fullduplex demo</h1>
<p>State: <span id="state">connecting</span></p>
<p>
  <input id="text" value="Hello" aria-label="message">
  <button id="send-text">Send text</button>
  <button id="send-json">Send JSON greeting</button>
  <button id="send-binary">Send binary [1,2,3]</button>
</p>
<div id="log" role="log"></div>
<script type="module">
  const log = (line) => { const el = document.getElementById("log"); el.textContent += line + "\\n"; el.scrollTop = el.scrollHeight; };
  const state = (s) => { document.getElementById("state").textContent = s; };
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/";
  let ws;
  let delay = 250;
  function open() {
    state("connecting");
    ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => { delay = 250; state("open"); log("connected to " + url); };
    ws.onmessage = (e) => log(typeof e.data === "string" ? "received: " + e.data : "received binary: [" + Array.from(new Uint8Array(e.data)).join(", ") + "]");
    ws.onclose = (e) => { state("reconnecting"); log("closed (" + e.code + "), reconnecting in " + delay + " ms"); setTimeout(open, delay); delay = Math.min(delay * 2, 5000); };
  }
  open();
  const send = (data, label) => { if (ws.readyState === 1) { ws.send(data); log("sent " + label); } else log("not connected"); };
  document.getElementById("send-text").onclick = () => send(document.getElementById("text").value, "text");
  document.getElementById("send-json").onclick = () => send(JSON.stringify({ type: "greeting", content: "Hello Server" }), "JSON");
  document.getElementById("send-binary").onclick = () => send(new Uint8Array([1, 2, 3]), "binary");
</script>
</body>
</html>
`;
