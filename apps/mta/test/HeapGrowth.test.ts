import { assert, describe, it } from "@effect/vitest"
import * as HeapGrowth from "../src/HeapGrowth.ts"

describe("HeapGrowth", () => {
  it("applies its own value unless node arguments or NODE_OPTIONS choose one", () => {
    assert.isFalse(HeapGrowth.chosenByOperator(["--enable-source-maps", "--max-semi-space-size=4"], undefined))
    assert.isFalse(HeapGrowth.chosenByOperator([], "--max-old-space-size=512"))
    assert.isTrue(HeapGrowth.chosenByOperator(["--heap-growing-percent=300"], undefined))
    assert.isTrue(HeapGrowth.chosenByOperator(["--heap_growing_percent=300"], undefined))
    assert.isTrue(HeapGrowth.chosenByOperator([], "--enable-source-maps --heap-growing-percent=50"))
  })
})
