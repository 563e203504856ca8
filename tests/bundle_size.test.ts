/**
 * The browser bundle's size budget. demo/client.js is the committed build of
 * src/client/mod.ts, byte for byte what `npm run build` writes to
 * dist/client.js (tests/browser_bundle.test.ts checks that), so its size is
 * the size a browser downloads.
 *
 * Measured 2026-12-01 (Bun 1.4.5, minified): 18.5 KiB raw, 6.8 KiB gzip
 * (unminified it was 32.6 KiB and 8.9 KiB). Channels on the client
 * (subscriptions, presence, publish acknowledgements, server requests)
 * raised it to 33.7 KiB raw, 11.2 KiB gzip; the budget was raised with them,
 * on purpose. Recovery (positions and their checks on the wire, dedup at the
 * seam, recovery events, `since`/`last`) raised it to 37.9 KiB raw, 12.2 KiB
 * gzip: budget 40 / 13 KiB. Raise a budget only on purpose.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { ROOT, RUNTIME } from "./helpers/runtime.ts";

/** Most bytes the bundle may take, raw and gzipped (level 9). */
const BUNDLE_BUDGET = { raw: 40 * 1024, gzip: 13 * 1024 };

describe(`browser bundle size (${RUNTIME})`, () => {
  const bundle = readFileSync(join(ROOT, "demo", "client.js"));
  const gzip = gzipSync(bundle, { level: 9 }).length;
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

  it(`is within ${kib(BUNDLE_BUDGET.raw)} raw and ${kib(BUNDLE_BUDGET.gzip)} gzip`, () => {
    console.log(`demo/client.js (= dist/client.js): ${bundle.length} bytes (${kib(bundle.length)}), ${gzip} bytes gzip (${kib(gzip)})`);
    assert.ok(bundle.length <= BUNDLE_BUDGET.raw, `${bundle.length} bytes raw, budget ${BUNDLE_BUDGET.raw}`);
    assert.ok(gzip <= BUNDLE_BUDGET.gzip, `${gzip} bytes gzip, budget ${BUNDLE_BUDGET.gzip}`);
  });

  it("is minified: a few long lines after the header comment, no indentation", () => {
    const code = bundle.toString("utf8").split("\n").filter((line) => line !== "" && !line.startsWith("//"));
    assert.ok(code.length <= 5, `${code.length} lines of code: is the build still minified?`);
    assert.equal(code.filter((line) => /^\s/.test(line)).length, 0);
  });

  it("minifying keeps what users see: error names, close codes, messages", async () => {
    // The bundle is plain ES module code over the standard WebSocket: it loads on Deno and Bun too.
    const mod = await import(pathToFileURL(join(ROOT, "demo", "client.js")).href);
    for (const name of ["FullDuplexError", "ConnectError", "InvalidStateError", "MessageDecodeError"]) {
      const err = new mod[name]("ws://x", "reason");
      assert.equal(err.name, name);
      assert.ok(err instanceof mod.FullDuplexError && err instanceof Error);
    }
    assert.equal(mod.CloseCode.Normal, 1000);
    assert.throws(() => mod.Message.from("{oops").json(), (err: Error) => err.name === "MessageDecodeError");
    await assert.rejects(mod.connect("http://127.0.0.1:1"), (err: Error) => err.name === "ConnectError" && /ws: or wss:/.test(err.message));
  });
});
