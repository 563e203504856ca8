/**
 * The delivery check of the recovery tests: what a client got is exactly
 * what was published (acknowledged), each once, in order. Lost and
 * duplicated messages are counted first, so a failure names them.
 */

import assert from "node:assert/strict";

/** Asserts `got` is `expected`: nothing lost, nothing twice, in order, nothing else. */
export function assertExactlyOnce(got: string[], expected: string[], who = "the client"): void {
  const counts = new Map<string, number>();
  for (const m of got) counts.set(m, (counts.get(m) ?? 0) + 1);
  const lost = expected.filter((m) => !counts.has(m));
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([m]) => m);
  assert.deepEqual(
    { lost: lost.length, duplicated: duplicated.length },
    { lost: 0, duplicated: 0 },
    `${who}: lost ${lost.slice(0, 5).join(",")} duplicated ${duplicated.slice(0, 5).join(",")}`,
  );
  assert.deepEqual(got, expected, `${who}: exactly the published messages, in order`);
}
