import { assert, describe, it } from "@effect/vitest"
import { Keys } from "../src/index.ts"

describe("Keys (Redis Cluster layout)", () => {
  it("computes Redis Cluster slots (CRC16/XMODEM)", () => {
    // Reference values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
    assert.strictEqual(Keys.slotOf("123456789"), 12739)
    assert.strictEqual(Keys.slotOf("foo"), 12182)
    assert.strictEqual(Keys.slotOf("{user1000}.following"), Keys.slotOf("{user1000}.followers"))
  })

  it("puts every key of a shard, its indexes and its messages in one slot", () => {
    for (const n of [0, 1, 7]) {
      const k = Keys.shard("cartero:prod:", n)
      const slot = Keys.slotOf(k.due)
      for (const key of [k.leases, k.msgs, k.done, k.stats, k.message("0abc"), k.body("0abc"), k.staging("0abc")]) {
        assert.strictEqual(Keys.slotOf(key), slot, key)
      }
    }
  })

  it("spreads shards over different slots", () => {
    const slots = new Set(Array.from({ length: 16 }, (_, n) => Keys.slotOf(Keys.shard("cartero:", n).due)))
    assert.isTrue(slots.size >= 15)
  })

  it("rejects prefixes that would change the hash slot or the key grammar", () => {
    for (const ok of ["", "cartero:", "a.b-c_d:1:"]) assert.isTrue(Keys.isValidPrefix(ok), ok)
    for (const bad of ["{x}:", "a b", "a\r\n", "x*", "a}"]) assert.isFalse(Keys.isValidPrefix(bad), bad)
  })

  it("maps ids to shards stably", () => {
    assert.strictEqual(Keys.shardOf("0abc", 1), 0)
    assert.strictEqual(Keys.shardOf("0abc", 8), Keys.shardOf("0abc", 8))
    const used = new Set(Array.from({ length: 200 }, (_, i) => Keys.shardOf(`id${i}`, 8)))
    assert.strictEqual(used.size, 8)
  })
})
