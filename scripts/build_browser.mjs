// Bundles the client for browsers (run by scripts/build.mjs with Bun), minified:
//   bun run scripts/build_browser.mjs ENTRY OUTFILE [METAFILE]
// src/client/native_socket.ts (Deno/Bun handshake options) is swapped for its
// browser twin, so the bundle holds only standard WebSocket code. METAFILE,
// if given, receives the bundler's metafile (esbuild's format: which inputs
// went into the output, with their sizes).
import { dirname, resolve } from "node:path";

const [entry, outfile, metafile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error("usage: bun run scripts/build_browser.mjs ENTRY OUTFILE [METAFILE]");
  process.exit(2);
}
const result = await Bun.build({
  entrypoints: [entry],
  target: "browser",
  format: "esm",
  // Error classes keep their names without keepNames (which Bun 1.4.5 ignores
  // for classes): src/shared/errors.ts spells them out.
  minify: true,
  metafile: metafile !== undefined,
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
if (metafile !== undefined) await Bun.write(metafile, JSON.stringify(result.metafile, null, 2));
