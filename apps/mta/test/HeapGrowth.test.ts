import { assert, describe, it } from "@effect/vitest"
import * as HeapGrowth from "../src/HeapGrowth.ts"

describe("HeapGrowth", () => {
  it("reads CARTERO_HEAP_GROWTH: 100 by default, 0 for V8's own policy, a clear error otherwise", () => {
    assert.deepStrictEqual(HeapGrowth.percent({}), { n: 100 })
    assert.deepStrictEqual(HeapGrowth.percent({ CARTERO_HEAP_GROWTH: " 300 " }), { n: 300 })
    assert.deepStrictEqual(HeapGrowth.percent({ CARTERO_HEAP_GROWTH: "0" }), { n: 0 })
    for (const bad of ["-1", "1001", "1.5", "lots", "1e2"]) {
      const result = HeapGrowth.percent({ CARTERO_HEAP_GROWTH: bad })
      assert.isTrue("error" in result && result.error.startsWith("CARTERO_HEAP_GROWTH: expected an integer 0-1000"), bad)
    }
  })

  it("leaves the growth to a --heap-growing-percent given on the node command line", () => {
    assert.isFalse(HeapGrowth.onCommandLine(["--enable-source-maps", "--max-semi-space-size=4"]))
    assert.isTrue(HeapGrowth.onCommandLine(["--heap-growing-percent=300"]))
    assert.isTrue(HeapGrowth.onCommandLine(["--heap_growing_percent=300"]))
  })
})
