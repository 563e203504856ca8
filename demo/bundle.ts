/**
 * Serves the browser bundle of fullduplex's client (demo/client.js, served by
 * the demo server at `/client.js`) to the demo page.
 *
 * The bundle is a generated file committed to the repository, so the demo
 * works from a fresh clone on Deno and on Bun with no build step (Deno has no
 * bundler API to build it at start-up). `npm run build:demo` regenerates it;
 * tests/browser_bundle.test.ts fails when it is out of date with src/. The
 * npm package carries a copy next to the built demo (dist/demo/client.js),
 * and JSR publishes demo/ with the rest of `fullduplex serve`.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** Where the browser bundle lives: next to this module. */
export const CLIENT_BUNDLE_URL: URL = new URL("./client.js", import.meta.url);

let bundle: Promise<string> | undefined;

/**
 * Reads the bundle once. From a clone or the npm package this module is a
 * file and so is the bundle; run from JSR (`deno run jsr:…`) this module was
 * loaded over https, and so is the bundle, from the same place.
 */
function loadBundle(): Promise<string> {
  if (CLIENT_BUNDLE_URL.protocol === "file:") return readFile(fileURLToPath(CLIENT_BUNDLE_URL), "utf8");
  return fetch(CLIENT_BUNDLE_URL).then((res) => {
    if (!res.ok) throw new Error(`GET ${CLIENT_BUNDLE_URL.href}: HTTP ${res.status}`);
    return res.text();
  });
}

/** The bundle as an HTTP response (loaded once; 500 if it cannot be loaded, and the next request tries again). */
export async function clientBundleResponse(): Promise<Response> {
  bundle ??= loadBundle();
  try {
    const text = await bundle;
    return new Response(text, { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" } });
  } catch (err) {
    bundle = undefined;
    return new Response(`cannot load the client bundle: ${err instanceof Error ? err.message : String(err)}\n`, { status: 500 });
  }
}
