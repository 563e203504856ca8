/**
 * Reads Prometheus text exposition (format 0.0.4) with a real parser from
 * npm (parse-prometheus-text-format, the prom2json shape), plus the checks
 * that parser is lenient about.
 */

import parsePrometheusTextFormat from "parse-prometheus-text-format";
import assert from "node:assert/strict";

/** One sample as the parser returns it (histograms: one merged sample with buckets, count, sum). */
export interface Sample {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

/** One metric family. */
export interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}

/**
 * Parses an exposition into families by name, after checking what the
 * parser does not: a final line feed, one HELP and one TYPE line per family
 * before its samples, valid metric names, no family twice.
 */
export function parseExposition(text: string): Map<string, Family> {
  assert.ok(text.endsWith("\n"), "the exposition must end with a line feed");
  const declared = new Set<string>();
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta !== null) {
      if (meta[1] === "TYPE") {
        assert.ok(!declared.has(meta[2]), `TYPE ${meta[2]} twice`);
        declared.add(meta[2]);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    assert.ok(sample !== null, `not a sample line: ${JSON.stringify(line)}`);
    const family = sample[1].replace(/_(bucket|sum|count)$/, "");
    assert.ok(declared.has(sample[1]) || declared.has(family), `sample before its TYPE line: ${line}`);
  }
  const families = new Map<string, Family>();
  for (const f of parsePrometheusTextFormat(text) as Family[]) {
    assert.ok(!families.has(f.name), `family ${f.name} twice`);
    families.set(f.name, f);
  }
  assert.deepEqual([...families.keys()].sort(), [...declared].sort(), "the parser and the TYPE lines agree on the families");
  return families;
}

/** The family `name`, checked to exist with that type and a HELP text. */
export function familyOf(families: Map<string, Family>, name: string, type: string): Family {
  const f = families.get(name);
  assert.ok(f !== undefined, `no family ${name}`);
  assert.equal(f.type, type.toUpperCase(), `${name} is a ${type}`);
  assert.ok(f.help.length > 0, `${name} has a HELP text`);
  return f;
}

/** The value of an unlabelled gauge or counter. */
export function valueOf(families: Map<string, Family>, name: string, type: "gauge" | "counter"): number {
  const f = familyOf(families, name, type);
  assert.equal(f.metrics.length, 1, `${name} has one sample`);
  assert.equal(f.metrics[0].labels, undefined, `${name} has no labels`);
  return Number(f.metrics[0].value);
}

/** A histogram's buckets (upper bound → cumulative count, ascending), count and sum, checked to be consistent. */
export function histogramOf(
  families: Map<string, Family>,
  name: string,
): { buckets: [number, number][]; count: number; sum: number } {
  const f = familyOf(families, name, "histogram");
  assert.equal(f.metrics.length, 1, `${name} is one histogram`);
  const h = f.metrics[0];
  assert.ok(h.buckets !== undefined && h.count !== undefined && h.sum !== undefined, `${name} has buckets, _count and _sum`);
  const buckets = Object.entries(h.buckets).map(([le, n]) => [le === "+Inf" ? Infinity : Number(le), Number(n)] as [number, number]);
  buckets.sort((a, b) => a[0] - b[0]);
  assert.equal(buckets.at(-1)![0], Infinity, `${name} has a +Inf bucket`);
  for (let i = 1; i < buckets.length; i++) {
    assert.ok(buckets[i][1] >= buckets[i - 1][1], `${name} buckets are cumulative: ${JSON.stringify(buckets)}`);
  }
  const count = Number(h.count);
  assert.equal(buckets.at(-1)![1], count, `${name}: the +Inf bucket equals _count`);
  return { buckets, count, sum: Number(h.sum) };
}
