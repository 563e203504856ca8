// Reads the Deno and Bun JUnit reports and prints the suite's closing line,
// "N passed, N failed", counting leaf tests only (Deno reports a describe()
// block as a test of its own with its it()s as steps). Exits non-zero when
// anything failed, a report is missing, or the typecheck failed.
import { existsSync, readFileSync } from "node:fs";

const [denoXml, bunXml, typecheckFailed, ...extra] = process.argv.slice(2);
// Optional extra arguments:
//   --report=NAME=PATH   one more JUnit report (e.g. node=.test-results/node.xml
//                        from `node --test`), counted like the others;
//   --check=NAME=1       a check that failed (counted as one failure; 0 = passed);
//   --exit=NAME=CODE     a runner's exit code: non-zero with no failed test in
//                        its report (e.g. a crashed hook) counts as one failure.
const reports = [["deno", denoXml], ["bun", bunXml]];
const checks = [];
const exits = new Map();
for (const arg of extra) {
  const m = /^--(report|check|exit)=([^=]+)=(.*)$/.exec(arg);
  if (!m) throw new Error(`summarize.mjs: unknown argument ${arg}`);
  if (m[1] === "report") reports.push([m[2], m[3]]);
  else if (m[1] === "check") checks.push([m[2], m[3] === "1"]);
  else exits.set(m[2], Number(m[3]));
}

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
for (const [runtime, path] of reports) {
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
  if (f.length === 0 && (exits.get(runtime) ?? 0) !== 0) {
    console.log(`  FAILED (${runtime}) the runner exited with ${exits.get(runtime)} (a hook or file failed outside any test)`);
    failed++;
  }
  passed += p;
  failed += f.length;
  skipped += s.length;
}
if (typecheckFailed === "1") {
  console.log("typecheck: failed (counted as one failure)");
  failed++;
}
for (const [name, didFail] of checks) {
  if (!didFail) continue;
  console.log(`${name}: failed (counted as one failure)`);
  failed++;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
