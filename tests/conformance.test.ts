/**
 * RFC 6455 conformance of a fullduplex server on the runtime running this
 * suite, with a raw TCP peer writing hand-built frames. The cases live in
 * tests/conformance/cases.ts; `npm run conformance` runs the same cases on
 * both runtimes and writes docs/conformance.md.
 *
 * Each case asserts what the RFC requires, except where the engine is known
 * to deviate in a way fullduplex cannot fix from above it: there the test
 * asserts the documented current behaviour, so a runtime upgrade that
 * changes it fails here and the report gets regenerated. Known behaviours
 * are per engine: "deno", "bun", or "ws" (the ws engine, run by
 * `npm run test:ws`).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ENGINE } from "./helpers/engine.ts";
import { CASES, runCase, summarize } from "./conformance/cases.ts";

describe(`conformance (${ENGINE})`, () => {
  for (const c of CASES) {
    const known = c.known?.[ENGINE];
    const label = known === undefined ? `${c.id}: ${c.rfc}` : `${c.id}: known ${ENGINE} behaviour: ${known.what}`;
    it(label, async () => {
      const o = await runCase(c);
      const seen = summarize(o);
      if (o.status === 101) {
        // What fullduplex promises whatever the engine does: close runs exactly once.
        assert.equal(o.handlerCloses.length, 1, `close handler runs exactly once (saw: ${seen})`);
      } else {
        assert.equal(o.handlerCloses.length, 0, "no close handler for a refused handshake");
      }
      if (known !== undefined) {
        assert.ok(
          known.matches(o),
          `${ENGINE}'s documented behaviour changed: expected "${known.what}", saw: ${seen}. Update tests/conformance/cases.ts and run npm run conformance`,
        );
        assert.ok(!c.conforms(o), `${ENGINE} now conforms (${seen}): remove the known entry of ${c.id}`);
      } else {
        assert.ok(c.conforms(o), `expected: ${c.rfc}; saw: ${seen}`);
      }
    });
  }
});
