// npm build: ESM JavaScript + .d.ts into dist/ (tsc, tsconfig.build.json) and
// the browser bundle of the client into dist/client.js (bun build).
//
//   node scripts/build.mjs            everything into dist/
//   node scripts/build.mjs --demo     only the demo page's bundle, demo/client.js (committed)
//   node scripts/build.mjs --browser-to FILE   only the browser bundle, into FILE (tests)
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ["ignore", 2, "inherit"] });

/** The browser entry: the client only, no server or runtime-specific code. */
const BROWSER_ENTRY = "src/client/mod.ts";
const BROWSER_HEADER =
  "// fullduplex client for browsers (connect, Client, Message, close codes, errors).\n" +
  "// Generated from src/client/mod.ts by `npm run build` / `npm run build:demo`\n" +
  "// (Bun.build for browsers, minified). Do not edit: change the TypeScript sources.\n";

/** Size of a file as served: raw bytes and gzip (level 9) bytes. */
export function bundleSize(file) {
  const bytes = readFileSync(file);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

/** Bundles the client for browsers into `outfile` (deterministic for one Bun version). */
export function buildBrowser(outfile) {
  const tmp = `${outfile}.tmp-${process.pid}.js`;
  mkdirSync(dirname(outfile), { recursive: true });
  try {
    execFileSync(bin("bun"), ["run", "scripts/build_browser.mjs", BROWSER_ENTRY, tmp], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
    writeFileSync(outfile, BROWSER_HEADER + readFileSync(tmp, "utf8"));
  } finally {
    rmSync(tmp, { force: true });
  }
  const size = bundleSize(outfile);
  console.error(`${relative(root, outfile) || outfile}: ${kb(size.raw)}, ${kb(size.gzip)} gzip (browser bundle of ${BROWSER_ENTRY})`);
}

/**
 * tsc keeps `.ts` specifiers in .d.ts files (rewriteRelativeImportExtensions
 * only rewrites JavaScript). TypeScript resolves them anyway, but `.js` is
 * what every consumer setting understands, so rewrite relative ones.
 */
function rewriteDeclarationSpecifiers(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) rewriteDeclarationSpecifiers(path);
    else if (name.endsWith(".d.ts")) {
      const text = readFileSync(path, "utf8");
      const fixed = text.replace(/(from\s+["']\.{1,2}\/[^"']*?)\.ts(["'])/g, "$1.js$2").replace(/(import\(["']\.{1,2}\/[^"']*?)\.ts(["']\))/g, "$1.js$2");
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}

/**
 * The npm package's `bin` (npx fullduplex, bunx fullduplex): a shebang for
 * Node.js, then cli.js's main(). Bun runs it with Node.js too when Node.js is
 * installed, unless told `bunx --bun`.
 */
const BIN = `#!/usr/bin/env node
// The fullduplex command (npx fullduplex --help). Written by scripts/build.mjs.
// The client runs on Node.js 22+ (a global WebSocket), Bun and Deno; serve needs Bun or Deno.
import process from "node:process";
import { main } from "../cli.js";
import { flushStdio } from "../src/cli/output.js";

const code = await main(process.argv.slice(2));
await flushStdio();
process.exit(code);
`;

const args = process.argv.slice(2);
if (args[0] === "--browser-to") {
  buildBrowser(args[1]);
} else if (args[0] === "--demo") {
  buildBrowser(join(root, "demo", "client.js"));
  console.error("wrote demo/client.js");
} else if (args.length === 0) {
  const dist = join(root, "dist");
  rmSync(dist, { recursive: true, force: true });
  run(bin("tsc"), ["-p", "tsconfig.build.json"]);
  run(bin("tsc"), ["-p", "tsconfig.cli.json"]);
  rewriteDeclarationSpecifiers(dist);
  buildBrowser(join(dist, "client.js"));
  // `fullduplex serve` serves the bundle next to the built demo (demo/bundle.ts).
  copyFileSync(join(dist, "client.js"), join(dist, "demo", "client.js"));
  mkdirSync(join(dist, "bin"), { recursive: true });
  writeFileSync(join(dist, "bin", "fullduplex.js"), BIN);
  chmodSync(join(dist, "bin", "fullduplex.js"), 0o755);
  console.error("built dist/ (ESM + .d.ts), dist/client.js (browser bundle) and dist/bin/fullduplex.js (the command)");
} else {
  console.error("usage: node scripts/build.mjs [--demo | --browser-to FILE]");
  process.exit(2);
}
