// End-to-end: Debian's Chromium (driven by playwright-core) loads the demo
// page of server.ts, once with the server on Deno and once on Bun; sends
// text, JSON and binary through the page's buttons, checks the log, restarts
// the server on the same port and checks the page reconnects by itself; then
// opens two more pages and checks each lists the others as online (channels
// with presence), and that a page closed disappears from the others' lists.
// Also the chat page of examples/chat.ts: two users join a room, list each
// other as online, chat, and one leaving disappears from the other's list.
// Screenshots: artifacts/browser-deno.png, artifacts/browser-bun.png.
//
//   node --test tests/node/browser.node.mjs        (needs /usr/bin/chromium:
//   apt-get install chromium, done by scripts/install-system-deps.sh)
//
// Run by Node's test runner because playwright-core is a Node.js library.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { bin, ROOT, start } from "./helpers.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "artifacts");
const WAIT = 20_000; // generous: other suites share this 2-core machine

function startServer(runtime, port) {
  const args = runtime === "deno" ? ["run", "-A", "--no-check", "server.ts"] : ["run", "server.ts"];
  return start(bin(runtime), [...args, "--port", String(port), "--host", "127.0.0.1"]);
}

/** Stops a server the way Ctrl-C does (graceful: 1001 to the page), with a SIGKILL fallback. */
async function stopServer(server) {
  server.child.kill("SIGTERM");
  const r = await server.exited(10_000);
  return r.code;
}

for (const runtime of ["deno", "bun"]) {
  describe(`demo page in Chromium, server.ts on ${runtime}`, { timeout: 120_000 }, () => {
    let server;
    let port = 0;
    let context;
    let page;
    let userDataDir = "";
    const consoleErrors = [];

    /** Waits until the page's log has a line containing `text` (of a given class). */
    const logLine = (cls, text) =>
      page.waitForFunction(
        ([c, t]) => [...document.querySelectorAll(`#log .${c}`)].some((el) => el.textContent.includes(t)),
        [cls, text],
        { timeout: WAIT },
      );
    const waitState = (state) => page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout: WAIT });

    before(async () => {
      assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium (scripts/install-system-deps.sh does)`);
      server = startServer(runtime, 0);
      const m = await server.waitFor(/listening on ws:\/\/127\.0\.0\.1:(\d+)/);
      port = Number(m[1]);
      userDataDir = mkdtempSync(join(tmpdir(), "fullduplex-chromium-"));
      // A persistent context is how playwright takes a fresh --user-data-dir.
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--no-first-run",
          "--disable-quic",
          "--disable-sync",
        ],
        viewport: { width: 900, height: 700 },
        timeout: 60_000,
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on("console", (msg) => {
        if (msg.type() === "error") consoleErrors.push(msg.text());
      });
      page.on("pageerror", (err) => consoleErrors.push(String(err)));
    });

    after(async () => {
      await context?.close().catch(() => {});
      if (server) await server.kill();
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    });

    it("loads the page, which connects through the fullduplex client bundle", async () => {
      await page.goto(`http://127.0.0.1:${port}/`, { timeout: WAIT });
      await waitState("open");
      await logLine("state", "connected");
      assert.equal(await page.textContent("#state"), "open");
      assert.equal(await page.evaluate(() => typeof globalThis.WebSocket), "function");
    });

    it("sends text, JSON and binary through the buttons and logs the replies", async () => {
      await page.fill("#text", "Hello");
      await page.click("#send-text");
      await logLine("received", "received text Echo: Hello");
      await page.click("#send-json");
      await logLine("received", 'received JSON {"type":"response","content":"Hello Client"}');
      await page.click("#send-binary");
      await logLine("received", "received binary [72, 101, 108, 108, 111]");
      const sent = await page.$$eval("#log .sent", (els) => els.map((el) => el.textContent.replace(/^\d\d:\d\d:\d\d {2}/, "")));
      assert.deepEqual(sent, [
        "sent text Hello",
        'sent JSON {"type":"greeting","content":"Hello"}',
        "sent binary [72, 101, 108, 108, 111]",
      ]);
    });

    it("reconnects by itself when the server restarts on the same port", async () => {
      assert.equal(await stopServer(server), 0);
      // The graceful shutdown sends 1001 "server shutting down" to the page.
      await logLine("state", "closed (1001 server shutting down)");
      // While the server is down the client keeps trying, with backoff, and
      // queues what the page sends.
      await waitState("reconnecting");
      await logLine("error", "could not connect");
      await page.fill("#text", "offline");
      await page.click("#send-text");
      await logLine("sent", "queued text offline");
      server = startServer(runtime, port);
      await server.waitFor(new RegExp(`listening on ws://127\\.0\\.0\\.1:${port}\\b`));
      await logLine("state", "reconnected");
      await waitState("open");
      // The offline queue was flushed on reconnect.
      await logLine("received", "received text Echo: offline");
      await page.fill("#text", "again");
      await page.click("#send-text");
      await logLine("received", "received text Echo: again");
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = join(ARTIFACTS, `browser-${runtime}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`screenshot: ${shot}`);
      assert.deepEqual(consoleErrors.filter((e) => !/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/.test(e)), []);
    });

    it("lists who is online: two more pages see each other, and one closed leaves the others' lists", async () => {
      const online = (p) => p.$$eval("#online li", (els) => els.map((el) => el.textContent));
      /** Waits until the page's online list is exactly `names` (sorted). */
      const waitOnline = (p, names) =>
        p.waitForFunction(
          (want) => JSON.stringify([...document.querySelectorAll("#online li")].map((el) => el.textContent)) === want,
          JSON.stringify(names),
          { timeout: WAIT },
        );
      // The first page (no ?name=) is listed under the name the server gave it.
      await page.waitForFunction(() => document.querySelectorAll("#online li").length === 1, null, { timeout: WAIT });
      const [guest] = await online(page);
      assert.match(guest, /^guest-[0-9a-f]{4}$/);
      const ann = await context.newPage();
      const bob = await context.newPage();
      for (const p of [ann, bob]) p.on("pageerror", (err) => consoleErrors.push(String(err)));
      await ann.goto(`http://127.0.0.1:${port}/?name=ann`, { timeout: WAIT });
      await bob.goto(`http://127.0.0.1:${port}/?name=bob`, { timeout: WAIT });
      const everyone = ["ann", "bob", guest].sort();
      for (const p of [page, ann, bob]) await waitOnline(p, everyone);
      await logLine("presence", "ann is online");
      await logLine("presence", "bob is online");

      await bob.close();
      const left = ["ann", guest].sort();
      for (const p of [page, ann]) await waitOnline(p, left);
      await logLine("presence", "bob left");
      assert.deepEqual(await online(ann), left);
      await ann.close();
      await waitOnline(page, [guest]);
      assert.deepEqual(consoleErrors.filter((e) => !/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/.test(e)), []);
    });
  });
}

for (const runtime of ["deno", "bun"]) {
  describe(`chat page of examples/chat.ts in Chromium, on ${runtime}`, { timeout: 120_000 }, () => {
    let server;
    let context;
    let userDataDir = "";
    const pageErrors = [];

    before(async () => {
      const args = runtime === "deno" ? ["run", "-A", "--no-check", "examples/chat.ts"] : ["run", "examples/chat.ts"];
      server = start(bin(runtime), [...args, "--port", "0", "--host", "127.0.0.1"]);
      userDataDir = mkdtempSync(join(tmpdir(), "fullduplex-chromium-"));
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-quic"],
        timeout: 60_000,
      });
    });

    after(async () => {
      await context?.close().catch(() => {});
      if (server) await server.kill();
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    });

    it("two users join the lobby, see each other online, chat, and one leaving disappears", async () => {
      const http = (await server.waitFor(/Chat server listening on (http:\/\/127\.0\.0\.1:\d+)/))[1];
      const waitOnline = (p, names) =>
        p.waitForFunction(
          (want) => JSON.stringify([...document.querySelectorAll("#online li")].map((el) => el.textContent)) === want,
          JSON.stringify(names),
          { timeout: WAIT },
        );
      const logHas = (p, text) =>
        p.waitForFunction((t) => [...document.querySelectorAll("#log p")].some((el) => el.textContent === t), text, { timeout: WAIT });
      const join = async (name) => {
        const p = await context.newPage();
        p.on("pageerror", (err) => pageErrors.push(String(err)));
        await p.goto(`${http}/`, { timeout: WAIT });
        await p.fill("#name", name);
        await p.click("#connect button");
        await logHas(p, "you joined #lobby");
        return p;
      };
      const ann = await join("ann");
      await waitOnline(ann, ["ann"]);
      const bob = await join("bob");
      for (const p of [ann, bob]) await waitOnline(p, ["ann", "bob"]);
      await logHas(ann, "bob joined #lobby");
      await ann.fill("#text", "hello bob");
      await ann.click("#send");
      for (const p of [ann, bob]) await logHas(p, "ann: hello bob");
      await bob.close();
      await waitOnline(ann, ["ann"]);
      await logHas(ann, "bob left #lobby");
      await ann.close();
      assert.deepEqual(pageErrors, []);
    });
  });
}
