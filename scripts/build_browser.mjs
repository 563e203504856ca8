// Bundles the client for browsers (run by scripts/build.mjs with Bun):
//   bun run scripts/build_browser.mjs ENTRY OUTFILE
// src/client/native_socket.ts (Deno/Bun handshake options) is swapped for its
// browser twin, so the bundle holds only standard WebSocket code.
import { dirname, resolve } from "node:path";

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error("usage: bun run scripts/build_browser.mjs ENTRY OUTFILE");
  process.exit(2);
}
const result = await Bun.build({
  entrypoints: [entry],
  target: "browser",
  format: "esm",
  plugins: [
    {
      name: "browser-native-socket",
      setup(build) {
        build.onResolve({ filter: /[/\\]native_socket\.ts$/ }, (args) => ({
          path: resolve(dirname(args.importer), "native_socket.browser.ts"),
        }));
      },
    },
  ],
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
await Bun.write(outfile, await result.outputs[0].text());
