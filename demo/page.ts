/**
 * The small page server.ts serves at `/`: talks to the server from a
 * browser through fullduplex's own client, the browser bundle served at
 * `/client.js` (demo/client.js, built from src/client/mod.ts).
 *
 * It uses the client's own `reconnect` (backoff with jitter), offline queue
 * (what is sent while the server is away goes out on reconnect) and
 * heartbeat, and logs the `reconnecting`/`reconnected`/`error`/`drop` events.
 *
 * It connects with channels and subscribes to the topic `chat` with presence
 * to list who else has the page open ("Online"), updated on every join and
 * leave; the names are the server's (from `?name=` of the page's address,
 * passed on to the WebSocket's, or `guest-xxxx`).
 *
 * Stable hooks for the browser test: `#state` (and `data-state` on
 * `<body>`): `connecting` | `open` | `reconnecting` | `closed`; every log line is a
 * `<div>` in `#log` with a class `state`, `sent`, `received`, `presence` or `error`;
 * `#online` has one `<li>` per member, its text the member's name.
 *
 * @module
 */

/** HTML of the demo page. */
export const DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>fullduplex demo</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.4rem; margin-bottom: .25rem; }
  .row { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; margin: .75rem 0; }
  input { flex: 1 1 16rem; padding: .35rem .5rem; font: inherit; }
  button { padding: .35rem .75rem; font: inherit; cursor: pointer; }
  #state { font-weight: bold; padding: .1rem .5rem; border-radius: .25rem; background: #ddd; }
  body[data-state="open"] #state { background: #c7f0c2; }
  body[data-state="reconnecting"] #state { background: #ffe1a8; }
  #log { background: #111; color: #ddd; padding: .75rem; height: 22rem; overflow: auto; font: 13px/1.45 ui-monospace, monospace; white-space: pre-wrap; }
  #log .state { color: #8ab4f8; }
  #log .sent { color: #aaa; }
  #log .received { color: #9be49b; }
  #log .error { color: #ff8a80; }
  #log .presence { color: #f0c674; }
  #online { display: inline; list-style: none; padding: 0; margin: 0; }
  #online li { display: inline-block; margin-right: .5rem; padding: 0 .4rem; border-radius: .25rem; background: #eee; }
</style>
</head>
<body data-state="connecting">
<h1>fullduplex demo</h1>
<p>Server: <code id="url"></code> &middot; State: <span id="state">connecting</span></p>
<div>Online: <ul id="online" aria-live="polite"></ul></div>
<div class="row">
  <input id="text" value="Hello" aria-label="message">
  <button id="send-text" title="Send the box as a text message">Send text</button>
  <button id="send-json" title='Send {"type":"greeting","content": box} as JSON'>Send JSON</button>
  <button id="send-binary" title="Send the box's UTF-8 bytes as a binary message">Send binary</button>
  <button id="clear-log">Clear log</button>
</div>
<div id="log" role="log" aria-live="polite"></div>
<script type="module">
  import { connect } from "/client.js";

  const $ = (id) => document.getElementById(id);
  const name = new URLSearchParams(location.search).get("name");
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/" +
    (name ? "?name=" + encodeURIComponent(name) : "");
  $("url").textContent = url;

  function log(kind, line) {
    const el = document.createElement("div");
    el.className = kind;
    el.textContent = new Date().toTimeString().slice(0, 8) + "  " + line; // HH:MM:SS
    $("log").append(el);
    $("log").scrollTop = $("log").scrollHeight;
  }
  function setState(state) {
    $("state").textContent = state;
    document.body.dataset.state = state;
  }
  const bytesText = (bytes) => "[" + Array.from(bytes).join(", ") + "]";
  let current; // the Client once the first connection is open
  let chat; // the subscription to "chat", with presence
  let inChat = false; // false while reconnecting: the list is stale until the resubscribe

  const nameOf = (m) => (m.info && typeof m.info.name === "string" ? m.info.name : m.id);
  function showOnline() {
    const members = chat && inChat ? chat.members : [];
    $("online").replaceChildren(...members.map((m) => {
      const li = document.createElement("li");
      li.textContent = nameOf(m);
      return li;
    }).sort((a, b) => a.textContent.localeCompare(b.textContent)));
  }

  // Who is online: a channel subscription with presence. The server chose
  // each member's info (its name); join/leave come as members come and go.
  async function joinChat(ws) {
    try {
      chat = await ws.subscribe("chat", { presence: true });
    } catch (err) {
      return log("error", "cannot list who is online: " + (err.reason ?? err.message));
    }
    inChat = true;
    showOnline();
    chat.on("join", (m) => { log("presence", nameOf(m) + " is online"); showOnline(); });
    chat.on("leave", (m) => { log("presence", nameOf(m) + " left"); showOnline(); });
    chat.on("resubscribed", () => { inChat = true; showOnline(); });
    chat.on("error", (err) => { inChat = false; showOnline(); log("error", "no longer in chat: " + err.reason); });
  }

  function describe(msg) {
    if (msg.kind === "binary") return "binary " + bytesText(msg.bytes());
    const text = msg.text();
    if (/^\\s*[[{]/.test(text)) {
      try { return "JSON " + JSON.stringify(JSON.parse(text)); } catch { /* plain text */ }
    }
    return "text " + text;
  }

  // The library does the reconnecting: backoff with jitter, an offline queue
  // (what you send while the server is away goes out, in order, on reconnect)
  // and a heartbeat that notices a dead link.
  async function run() {
    setState("connecting");
    log("state", "connecting to " + url);
    const ws = await connect(url, {
      channels: true,
      timeout: 5000,
      reconnect: { minDelay: 250, maxDelay: 5000 },
      heartbeat: { interval: 15000, timeout: 5000 },
    });
    current = ws;
    setState("open");
    log("state", "connected");
    joinChat(ws);
    ws.on("reconnecting", (e) => {
      setState("reconnecting");
      inChat = false;
      showOnline();
      const why = e.attempt === 1 ? "closed (" + e.code + (e.reason ? " " + e.reason : "") + "), " : "";
      log("state", why + "reconnecting in " + e.delay + " ms (attempt " + e.attempt + ")");
    });
    ws.on("reconnected", () => {
      setState("open");
      log("state", "reconnected");
    });
    ws.on("error", (err) => log("error", err.message));
    ws.on("drop", (e) => log("error", "not delivered (" + e.reason + ")"));
    for await (const msg of ws) log("received", "received " + describe(msg));
    setState("closed");
    inChat = false;
    showOnline();
    log("state", "closed for good (" + ws.closeCode + ")");
  }

  function send(label, data, shown) {
    if (!current) return log("error", "not connected yet: " + label + " not sent");
    try {
      const queued = current.readyState !== 1;
      current.send(data); // queued while reconnecting, sent in order once back
      log("sent", (queued ? "queued " : "sent ") + label + " " + shown);
    } catch (err) {
      log("error", label + " not sent: " + err.message);
    }
  }
  $("send-text").onclick = () => send("text", $("text").value, $("text").value);
  $("send-json").onclick = () => {
    const json = JSON.stringify({ type: "greeting", content: $("text").value });
    send("JSON", json, json);
  };
  $("send-binary").onclick = () => {
    const bytes = new TextEncoder().encode($("text").value);
    send("binary", bytes, bytesText(bytes));
  };
  $("clear-log").onclick = () => $("log").replaceChildren();
  $("text").onkeydown = (e) => { if (e.key === "Enter") $("send-text").click(); };

  run();
</script>
</body>
</html>
`;
