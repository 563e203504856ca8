/**
 * The browser page of examples/chat.ts: pick a name and a room, chat. It
 * talks to the server it was loaded from, so the same page works on every
 * server of a Redis-backed group.
 *
 * @module
 */

/** The chat page's HTML (no external resources). */
export const CHAT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fullduplex chat</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; }
  form { display: flex; gap: .5rem; margin: .5rem 0; }
  input { flex: 1; padding: .4rem; font: inherit; }
  button { padding: .4rem .8rem; font: inherit; }
  #log { border: 1px solid #ccc; border-radius: 4px; height: 22rem; overflow-y: auto; padding: .5rem; }
  #log p { margin: .15rem 0; }
  .meta { color: #777; }
  .error { color: #b00; }
  #status { color: #777; }
</style>
</head>
<body>
<h1>fullduplex chat</h1>
<form id="connect"><input id="name" placeholder="your name" autocomplete="nickname"><input id="room" value="lobby" placeholder="room"><button>Join</button></form>
<p id="status">not connected</p>
<div id="log" aria-live="polite"></div>
<form id="say"><input id="text" placeholder="say something" autocomplete="off" disabled><button id="send" disabled>Send</button><button id="leave" type="button" disabled>Leave</button></form>
<script>
const $ = (id) => document.getElementById(id);
let ws, room;
function line(text, cls) {
  const p = document.createElement("p");
  p.textContent = text;
  if (cls) p.className = cls;
  $("log").append(p);
  $("log").scrollTop = $("log").scrollHeight;
}
function enable(on) { for (const id of ["text", "send", "leave"]) $(id).disabled = !on; }
function join() {
  room = $("room").value.trim() || "lobby";
  ws.send(JSON.stringify({ type: "join", room }));
}
$("connect").onsubmit = (e) => {
  e.preventDefault();
  if (ws && ws.readyState === WebSocket.OPEN) return join();
  const url = new URL("/", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("name", $("name").value.trim());
  ws = new WebSocket(url);
  ws.onopen = () => { $("status").textContent = "connected to " + url.host; join(); };
  ws.onclose = (ev) => { $("status").textContent = "disconnected (" + ev.code + ")"; enable(false); };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "welcome") $("name").value = m.user;
    else if (m.type === "joined") { line(m.user + " joined #" + m.room, "meta"); if (m.user === $("name").value && m.room === room) enable(true); }
    else if (m.type === "left") line(m.user + " left #" + m.room, "meta");
    else if (m.type === "message") line("#" + m.room + " " + m.user + ": " + m.text);
    else if (m.type === "error") line(m.error, "error");
  };
};
$("say").onsubmit = (e) => {
  e.preventDefault();
  const text = $("text").value;
  if (!text) return;
  ws.send(JSON.stringify({ type: "say", room, text }));
  $("text").value = "";
};
$("leave").onclick = () => { ws.send(JSON.stringify({ type: "leave", room })); enable(false); };
</script>
</body>
</html>
`;
