/**
 * The browser page of examples/chat.ts: pick a name and a room, see who is
 * online there, chat. It uses fullduplex's own client (the browser bundle the
 * chat server serves at `/client.js`) with channels: it joins the room with
 * `subscribe(…, { presence: true })`, lists the members the server reports,
 * and says things with `request({ type: "say", … })`. It talks to the server
 * it was loaded from, so the same page works on every server of a
 * Redis-backed group.
 *
 * @module
 */

/** The chat page's HTML (its only resource is the server's `/client.js`). */
export const CHAT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>fullduplex chat</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
  form { display: flex; gap: .5rem; margin: .5rem 0; }
  input { flex: 1; padding: .4rem; font: inherit; }
  button { padding: .4rem .8rem; font: inherit; }
  main { display: flex; gap: 1rem; }
  #log { flex: 1; border: 1px solid #ccc; border-radius: 4px; height: 22rem; overflow-y: auto; padding: .5rem; }
  #log p { margin: .15rem 0; }
  aside { width: 10rem; }
  aside h2 { font-size: 1rem; margin: 0 0 .25rem; }
  #online { list-style: none; padding: 0; margin: 0; }
  .meta { color: #777; }
  .error { color: #b00; }
  #status { color: #777; }
</style>
</head>
<body>
<h1>fullduplex chat</h1>
<form id="connect"><input id="name" placeholder="your name" autocomplete="nickname"><input id="room" value="lobby" placeholder="room"><button>Join</button></form>
<p id="status">not connected</p>
<main>
<div id="log" aria-live="polite"></div>
<aside><h2>Online</h2><ul id="online"></ul></aside>
</main>
<form id="say"><input id="text" placeholder="say something" autocomplete="off" disabled><button id="send" disabled>Send</button><button id="leave" type="button" disabled>Leave</button></form>
<script type="module">
import { connect } from "/client.js";
const $ = (id) => document.getElementById(id);
let ws, sub, room;
function line(text, cls) {
  const p = document.createElement("p");
  p.textContent = text;
  if (cls) p.className = cls;
  $("log").append(p);
  $("log").scrollTop = $("log").scrollHeight;
}
function enable(on) { for (const id of ["text", "send", "leave"]) $(id).disabled = !on; }
const nameOf = (m) => (m.info && typeof m.info.name === "string" ? m.info.name : m.id);
function showOnline() {
  $("online").replaceChildren(...(sub ? sub.members : []).map(nameOf).sort().map((name) => {
    const li = document.createElement("li");
    li.textContent = name;
    return li;
  }));
}
async function leave() {
  const s = sub;
  sub = undefined;
  enable(false);
  showOnline();
  if (s && s.active) { await s.unsubscribe(); line("you left #" + room, "meta"); }
}
async function join() {
  await leave();
  room = $("room").value.trim() || "lobby";
  try {
    sub = await ws.subscribe("room:" + room, { presence: true });
  } catch (err) {
    return line("cannot join #" + room + ": " + (err.reason ?? err.message), "error");
  }
  const s = sub;
  line("you joined #" + room, "meta");
  showOnline();
  enable(true);
  s.on("join", (m) => { line(nameOf(m) + " joined #" + room, "meta"); showOnline(); });
  s.on("leave", (m) => { line(nameOf(m) + " left #" + room, "meta"); showOnline(); });
  s.on("resubscribed", showOnline);
  s.on("error", (err) => { line("no longer in #" + room + ": " + err.reason, "error"); if (sub === s) leave(); });
  s.on("message", (msg) => { const m = msg.json(); line(m.user + ": " + m.text); });
}
$("connect").onsubmit = async (e) => {
  e.preventDefault();
  if (ws) return join();
  const url = new URL("/", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if ($("name").value.trim()) url.searchParams.set("name", $("name").value.trim());
  try {
    ws = await connect(url.href, { channels: true, reconnect: true });
  } catch (err) {
    return line(err.message, "error");
  }
  ws.on("message", (msg) => { const m = msg.json(); if (m.type === "welcome") $("name").value = m.user; });
  ws.on("reconnecting", () => { $("status").textContent = "reconnecting…"; });
  ws.on("reconnected", () => { $("status").textContent = "connected to " + url.host; });
  ws.on("close", (ev) => {
    $("status").textContent = "disconnected (" + ev.code + ")";
    ws = undefined;
    sub = undefined;
    enable(false);
    showOnline();
  });
  $("status").textContent = "connected to " + url.host;
  $("name").disabled = true;
  join();
};
$("say").onsubmit = async (e) => {
  e.preventDefault();
  const text = $("text").value;
  if (!text || !sub) return;
  $("text").value = "";
  const answer = await ws.request({ type: "say", room, text }).catch((err) => ({ error: err.message }));
  if (answer.error) line(answer.error, "error");
};
$("leave").onclick = () => leave();
</script>
</body>
</html>
`;
