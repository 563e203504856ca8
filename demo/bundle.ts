/**
 * Serves the browser bundle of fullduplex's client (demo/client.js) to the
 * demo page at `/client.js`.
 *
 * The bundle is a generated file committed to the repository, so the demo
 * works from a fresh clone on Deno and on Bun with no build step (Deno has no
 * bundler API to build it at start-up). `npm run build:demo` regenerates it;
 * tests/browser_bundle.test.ts fails when it is out of date with src/.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Where the committed browser bundle lives. */
export const CLIENT_BUNDLE_FILE: string = fileURLToPath(new URL("./client.js", import.meta.url));

let bundle: string | undefined;

/** The bundle as an HTTP response (read from disk once). */
export function clientBundleResponse(): Response {
  bundle ??= readFileSync(CLIENT_BUNDLE_FILE, "utf8");
  return new Response(bundle, { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" } });
}
