import { assert, describe, it } from "@effect/vitest"
import * as RandomPool from "../src/RandomPool.ts"

describe("RandomPool.take", () => {
  it("hands out fresh bytes across refills (no 16-byte value twice in 1 000 takes)", () => {
    const seen = new Set<string>()
    for (let i = 0; i < 1000; i++) seen.add(RandomPool.take(16).toString("hex"))
    assert.strictEqual(seen.size, 1000)
  })

  it("gives exactly the bytes asked for, up to the pool size", () => {
    assert.strictEqual(RandomPool.take(10).length, 10)
    assert.strictEqual(RandomPool.take(4096).length, 4096)
    assert.throws(() => RandomPool.take(4097), RangeError)
  })
})
