/**
 * The browser bundle of the client (demo/client.js, served by server.ts at
 * /client.js to the demo page): it is committed so the demo runs from a
 * fresh clone, so it must match what the sources build to, and it must be
 * plain browser JavaScript with no runtime-specific imports.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, RUNTIME, spawnScript } from "./helpers/runtime.ts";
import type { Spawned } from "./helpers/runtime.ts";

const committed = readFileSync(join(ROOT, "demo", "client.js"), "utf8");

describe(`browser bundle of the client (${RUNTIME})`, () => {
  it("demo/client.js is up to date with src/ (else run `npm run build:demo`)", () => {
    const dir = mkdtempSync(join(tmpdir(), "fullduplex-bundle-"));
    try {
      const out = join(dir, "client.js");
      execFileSync("node", [join(ROOT, "scripts", "build.mjs"), "--browser-to", out], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
      const fresh = readFileSync(out, "utf8");
      assert.ok(fresh === committed, "demo/client.js differs from a fresh build of src/client/mod.ts: run `npm run build:demo` and commit it");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is self-contained browser JavaScript: no imports, no Node/Deno/Bun modules or APIs", () => {
    assert.doesNotMatch(committed, /^\s*import\s/m);
    assert.doesNotMatch(committed, /\bimport\s*\(/);
    assert.doesNotMatch(committed, /\brequire\s*\(/);
    assert.doesNotMatch(committed, /["'](node|bun|deno|npm|jsr):/);
    // native_socket.ts (Deno/Bun handshake options) is swapped for its browser
    // twin: no code line may mention either runtime.
    const mentions = committed.split("\n").filter((l) => /\b(Deno|Bun)\b/.test(l) && !/^\s*\/\//.test(l));
    assert.deepEqual(mentions, []);
    for (const name of ["connect", "Client", "Message", "CloseCode", "ConnectError"]) {
      assert.match(committed, new RegExp(`\\bexport\\s*\\{[^}]*\\b${name}\\b`), `${name} is not exported`);
    }
  });
});

describe(`server.ts serves the page and the bundle (${RUNTIME})`, () => {
  let server: Spawned;
  let base = "";
  before(async () => {
    server = spawnScript(RUNTIME, "server.ts", ["--port", "0", "--host", "127.0.0.1", "--quiet"]);
    const m = await server.waitFor(/listening on ws:\/\/127\.0\.0\.1:(\d+)/);
    base = `http://127.0.0.1:${m[1]}`;
  });
  after(async () => {
    server.kill("SIGINT");
    await server.exited().catch(() => server.kill());
  });

  it("GET / is the demo page, which loads /client.js", async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    const html = await res.text();
    assert.match(html, /import \{ connect \} from "\/client\.js"/);
    for (const id of ["text", "send-text", "send-json", "send-binary", "log", "state"]) assert.match(html, new RegExp(`id="${id}"`));
  });

  it("GET /client.js is the committed bundle as JavaScript", async () => {
    const res = await fetch(`${base}/client.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.equal(await res.text(), committed);
  });
});
