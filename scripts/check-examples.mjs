// Fails unless every symbol exported by the given JSR entry points has JSDoc
// with an @example (deno doc --lint checks that JSDoc exists, not examples).
//
//   node scripts/check-examples.mjs mod.ts src/client/mod.ts
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const entries = process.argv.slice(2);
const json = execFileSync(`${root}node_modules/.bin/deno`, ["doc", "--json", ...entries], {
  cwd: root,
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
  env: { ...process.env, NO_COLOR: "1" },
  // deno doc warns about @types/node files it does not follow; only the JSON matters.
  stdio: ["ignore", "pipe", "ignore"],
});
const doc = JSON.parse(json);
// A symbol one entry point re-exports that another already documents shows
// up as a "reference" to its declaration: look that declaration up.
const at = (loc) => `${loc.filename}:${loc.line}:${loc.col}`;
const documented = new Map();
for (const mod of Object.values(doc.nodes)) {
  for (const symbol of mod.symbols) {
    for (const d of symbol.declarations) {
      if (d.kind !== "reference") documented.set(at(d.location), d.jsDoc?.tags?.some((t) => t.kind === "example") ?? false);
    }
  }
}
const hasExample = (d) =>
  d.kind === "reference" ? documented.get(at(d.def.target)) === true : d.jsDoc?.tags?.some((t) => t.kind === "example");

let checked = 0;
const missing = [];
for (const [file, mod] of Object.entries(doc.nodes)) {
  const entry = file.replace(`file://${root}`, "");
  if (!mod.module_doc?.tags?.some((t) => t.kind === "example")) missing.push(`${entry}: module doc (@module) has no @example`);
  for (const symbol of mod.symbols) {
    checked++;
    const ok = symbol.declarations.some(hasExample);
    if (!ok) {
      const where = symbol.declarations[0]?.location;
      missing.push(
        `${entry}: ${symbol.name} (${where ? `${where.filename.replace(`file://${root}`, "")}:${where.line}` : "?"}) has no @example`,
      );
    }
  }
}
for (const line of missing) console.log(`  missing @example: ${line}`);
console.log(`@example check: ${checked} exported symbols in ${entries.join(", ")}, ${missing.length} without an example`);
process.exit(missing.length > 0 || checked === 0 ? 1 : 0);
