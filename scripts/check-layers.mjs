#!/usr/bin/env node
// The import graph of src/ must point one way (docs/ARCHITECTURE.md):
//   shared ← broker ← core ← adapters ← entry
//                     core ← channels ← entry
//   shared ← client ← protocol (which may also use core and channels) ← entry
// Fails when a file imports a layer it may not, or when files import each
// other in a loop. Type-only imports count: a loop of types is still a
// loop for whoever has to change one of them.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..");

/** Each layer, the folder it lives in, and the layers it may import. */
const LAYERS = {
  shared: { dir: "src/shared", may: [] },
  broker: { dir: "src/broker", may: ["shared"] },
  core: { dir: "src/server", may: ["shared", "broker"] },
  adapters: { dir: "src/adapters", may: ["shared", "broker", "core"] },
  channels: { dir: "src/channels", may: ["shared", "broker", "core"] },
  client: { dir: "src/client", may: ["shared"] },
  protocol: { dir: "src/protocol", may: ["shared", "core", "channels", "client"] },
  entry: { dir: "src/entry", may: ["shared", "broker", "core", "adapters", "channels", "client", "protocol"] },
  cli: { dir: "src/cli", may: ["shared", "client", "entry"] },
};

function layerOf(file) {
  for (const [name, { dir }] of Object.entries(LAYERS)) {
    if (file === dir || file.startsWith(dir + "/")) return name;
  }
  return undefined;
}

function walk(dir) {
  const out = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...walk(path));
    else if (/\.ts$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Relative imports and re-exports of a file, type-only ones included. */
function importsOf(file) {
  const text = readFileSync(join(root, file), "utf8")
    // Drop comments so that JSDoc @example imports are not counted.
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const found = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^"';]*?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2];
    found.push(normalize(join(dirname(file), spec)));
  }
  return found;
}

const files = walk("src");
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const problems = [];

for (const [file, deps] of graph) {
  const from = layerOf(file);
  for (const dep of deps) {
    if (!graph.has(dep)) {
      problems.push(`${file}: imports ${dep}, which is not a file of src/`);
      continue;
    }
    const to = layerOf(dep);
    if (from === undefined) {
      problems.push(`${file}: not in any layer (move it into one of ${Object.values(LAYERS).map((l) => l.dir).join(", ")})`);
    } else if (to !== from && !LAYERS[from].may.includes(to)) {
      problems.push(`${file} (${from}) imports ${dep} (${to}): ${from} may import only ${LAYERS[from].may.join(", ") || "nothing"}`);
    }
  }
}

// Loops: depth-first search, reporting each cycle once by its smallest file.
const state = new Map();
const stack = [];
const cycles = new Set();
function visit(file) {
  state.set(file, "open");
  stack.push(file);
  for (const dep of graph.get(file) ?? []) {
    if (!graph.has(dep)) continue;
    if (state.get(dep) === "open") {
      const loop = stack.slice(stack.indexOf(dep));
      const start = loop.indexOf([...loop].sort()[0]);
      cycles.add([...loop.slice(start), ...loop.slice(0, start)].join(" → "));
    } else if (!state.has(dep)) visit(dep);
  }
  stack.pop();
  state.set(file, "done");
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);
for (const loop of cycles) problems.push(`import loop: ${loop} → (back to the start)`);

const unique = [...new Set(problems)];
if (unique.length > 0) {
  console.error(`check-layers: ${unique.length} problem(s) in the import graph of src/ (${relative(process.cwd(), root) || "."}):`);
  for (const p of unique) console.error("  " + p);
  process.exit(1);
}
console.log(`check-layers: ok (${files.length} files, no loop, every import points down)`);
