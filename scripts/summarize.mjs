// Reads the Deno and Bun JUnit reports and prints the suite's closing line,
// "N passed, N failed", counting leaf tests only (Deno reports a describe()
// block as a test of its own with its it()s as steps). Exits non-zero when
// anything failed, a report is missing, or the typecheck failed.
import { existsSync, readFileSync } from "node:fs";

const [denoXml, bunXml, typecheckFailed] = process.argv.slice(2);

function cases(path) {
  if (!existsSync(path)) return undefined;
  const xml = readFileSync(path, "utf8");
  const out = [];
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (let m; (m = re.exec(xml));) {
    const name = /\bname="([^"]*)"/.exec(m[1])?.[1] ?? "";
    const classname = /\bclassname="([^"]*)"/.exec(m[1])?.[1] ?? "";
    const body = m[3] ?? "";
    out.push({ name, classname, failed: /<(failure|error)\b/.test(body), skipped: /<skipped\b/.test(body) });
  }
  return out;
}

function leaves(list) {
  // A Deno describe() shows up as a testcase named "grp" plus steps "grp > x".
  const names = new Set(list.map((c) => c.name));
  return list.filter((c) => ![...names].some((n) => n !== c.name && n.startsWith(c.name + " &gt; ")));
}

let passed = 0, failed = 0, skipped = 0;
for (const [runtime, path] of [["deno", denoXml], ["bun", bunXml]]) {
  const list = cases(path);
  if (list === undefined) {
    console.log(`${runtime}: no test report at ${path} (the runner crashed)`);
    failed++;
    continue;
  }
  const own = leaves(list);
  const f = own.filter((c) => c.failed);
  const s = own.filter((c) => c.skipped && !c.failed);
  const p = own.length - f.length - s.length;
  console.log(`${runtime}: ${p} passed, ${f.length} failed${s.length ? `, ${s.length} skipped` : ""}`);
  for (const c of f) console.log(`  FAILED (${runtime}) ${c.classname} > ${c.name}`.replaceAll("&gt;", ">"));
  passed += p;
  failed += f.length;
  skipped += s.length;
}
if (typecheckFailed === "1") {
  console.log("typecheck: failed (counted as one failure)");
  failed++;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
