/**
 * The parsers of network input keep their properties (`@cartero/smtp/testing` Properties): a few hundred generated
 * cases each here; `pnpm --filter @cartero/smtp fuzz` runs the same properties at length.
 */
import { assert, describe, it } from "@effect/vitest"
import { Properties } from "../src/testing.ts"

describe("properties of the parsers of network input (bounded runs)", () => {
  for (const p of Properties.all) {
    it(`${p.name}: ${p.description}`, () => {
      const outcome = p.check({ numRuns: 300 })
      assert.isFalse(outcome.failed, outcome.report)
    })
  }
})
