import { assert, describe, it } from "@effect/vitest"
import * as DnsCache from "../src/DnsCache.ts"

describe("DnsCache", () => {
  it("expires entries at their TTL and caps TTLs at maxTtl", () => {
    const cache = DnsCache.make<string>({ capacity: 10, maxTtl: 100 })
    cache.set("a", "A", 10, 0)
    cache.set("b", "B", 1000, 0)
    assert.strictEqual(cache.get("a", 9_999), "A")
    assert.isUndefined(cache.get("a", 10_000))
    assert.strictEqual(cache.get("b", 99_999), "B")
    assert.isUndefined(cache.get("b", 100_000))
  })

  it("stores nothing for TTL 0 or capacity 0", () => {
    const cache = DnsCache.make<string>({ capacity: 10, maxTtl: 100 })
    cache.set("zero", "Z", 0, 0)
    assert.strictEqual(cache.size(), 0)
    const off = DnsCache.make<string>({ capacity: 0, maxTtl: 100 })
    off.set("a", "A", 10, 0)
    assert.isUndefined(off.get("a", 1))
  })

  it("evicts the least recently used entry when full", () => {
    const cache = DnsCache.make<string>({ capacity: 2, maxTtl: 100 })
    cache.set("x", "X", 10, 0)
    cache.set("y", "Y", 10, 0)
    cache.get("x", 1)
    cache.set("z", "Z", 10, 0)
    assert.strictEqual(cache.size(), 2)
    assert.strictEqual(cache.get("x", 1), "X")
    assert.isUndefined(cache.get("y", 1))
    assert.strictEqual(cache.get("z", 1), "Z")
  })
})
